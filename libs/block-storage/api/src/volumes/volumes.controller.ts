import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { booleanQuery } from '../common/query';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ProjectUrl } from '../common/project-url';
import { VolumesService } from './volumes.service';

/** `/v3/{project_id}/volumes`: Cinder's volumes and their metadata. */
@Controller('v3/:projectId/volumes')
export class VolumesController {
  constructor(
    private readonly volumes: VolumesService,
    private readonly policy: PolicyService,
  ) {}

  private caller(auth: AuthContext, projectId: string): Caller {
    return new Caller(auth, this.policy, projectId);
  }

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string) {
    return this.volumes.list(this.caller(auth, projectId), query, url, false);
  }

  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string) {
    return this.volumes.list(this.caller(auth, projectId), query, url, true);
  }

  @Get('summary')
  summary(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @Microversion() version: ApiVersion) {
    if (!version.atLeast('3.12')) {
      throw notFound('The resource could not be found.');
    }
    return this.volumes.summary(this.caller(auth, projectId), query);
  }

  @Post()
  @HttpCode(202)
  async create(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Body() body: unknown, @ProjectUrl() url: string) {
    return { volume: await this.volumes.create(this.caller(auth, projectId), body, url) };
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @ProjectUrl() url: string) {
    const caller = this.caller(auth, projectId);
    caller.enforce('read');
    return { volume: await this.volumes.view(await this.volumes.visible(caller, id), caller, url, true) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown, @ProjectUrl() url: string) {
    return { volume: await this.volumes.update(this.caller(auth, projectId), id, body, url) };
  }

  @Delete(':id')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    await this.volumes.delete(this.caller(auth, projectId), id, { cascade: booleanQuery(query, 'cascade'), force: booleanQuery(query, 'force') });
  }
}
