import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, notFound } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { AttachmentsService } from './attachments.service';

/** `/v3/{project_id}/attachments` (3.27+); below it, Cinder has no such resource. */
@Controller('v3/:projectId/attachments')
export class AttachmentsController {
  constructor(
    private readonly attachments: AttachmentsService,
    private readonly policy: PolicyService,
  ) {}

  private caller(auth: AuthContext, projectId: string, version: ApiVersion, minimum = '3.27'): Caller {
    if (!version.atLeast(minimum)) {
      throw notFound('The resource could not be found.');
    }
    return new Caller(auth, this.policy, projectId);
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @Microversion() version: ApiVersion) {
    const views = await this.attachments.list(this.caller(auth, projectId, version), query);
    return { attachments: views.map((view) => ({ id: view['id'], status: view['status'], instance: view['instance'], volume_id: view['volume_id'] })) };
  }

  @Get('detail')
  async detail(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @Microversion() version: ApiVersion) {
    return { attachments: await this.attachments.list(this.caller(auth, projectId, version), query) };
  }

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Body() body: unknown, @Microversion() version: ApiVersion) {
    return { attachment: await this.attachments.create(this.caller(auth, projectId, version), body) };
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Microversion() version: ApiVersion) {
    return { attachment: this.attachments.view(await this.attachments.visible(this.caller(auth, projectId, version), id)) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown, @Microversion() version: ApiVersion) {
    return { attachment: await this.attachments.update(this.caller(auth, projectId, version), id, body) };
  }

  @Post(':id/action')
  @HttpCode(204)
  async act(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown, @Microversion() version: ApiVersion) {
    const caller = this.caller(auth, projectId, version, '3.44');
    if (typeof body !== 'object' || body === null || !('os-complete' in body)) {
      throw badRequest(`There is no such action: ${Object.keys(body ?? {}).join(', ') || 'none'}`);
    }
    await this.attachments.complete(caller, id);
  }

  @Delete(':id')
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Microversion() version: ApiVersion) {
    return { attachments: await this.attachments.delete(this.caller(auth, projectId, version), id) };
  }
}
