import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ProjectUrl } from '../common/project-url';
import { SnapshotsService } from './snapshots.service';

/** `/v3/{project_id}/snapshots`: Cinder's snapshots, their metadata and admin reset. */
@Controller('v3/:projectId/snapshots')
export class SnapshotsController {
  constructor(
    private readonly snapshots: SnapshotsService,
    private readonly policy: PolicyService,
  ) {}

  private caller(auth: AuthContext, projectId: string): Caller {
    return new Caller(auth, this.policy, projectId);
  }

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string, @Microversion() version: ApiVersion) {
    return this.snapshots.list(this.caller(auth, projectId), query, url, false, version);
  }

  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string, @Microversion() version: ApiVersion) {
    return this.snapshots.list(this.caller(auth, projectId), query, url, true, version);
  }

  @Post()
  @HttpCode(202)
  async create(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Body() body: unknown, @Microversion() version: ApiVersion) {
    return { snapshot: await this.snapshots.create(this.caller(auth, projectId), body, version) };
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Microversion() version: ApiVersion) {
    const caller = this.caller(auth, projectId);
    caller.enforce('read');
    return { snapshot: this.snapshots.view(await this.snapshots.visible(caller, id), version) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown, @Microversion() version: ApiVersion) {
    return { snapshot: await this.snapshots.update(this.caller(auth, projectId), id, body, version) };
  }

  @Delete(':id')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string) {
    await this.snapshots.delete(this.caller(auth, projectId), id);
  }

  @Post(':id/action')
  @HttpCode(202)
  async act(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown) {
    if (typeof body !== 'object' || body === null || !('os-reset_status' in body)) {
      throw badRequest(`There is no such action: ${Object.keys(body ?? {}).join(', ') || 'none'}`);
    }
    await this.snapshots.resetStatus(this.caller(auth, projectId), id, body);
  }
}
