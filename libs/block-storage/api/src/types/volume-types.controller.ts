import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { ProjectUrl } from '../common/project-url';
import { VolumeTypesService } from './volume-types.service';

const ACCESS_ACTIONS = ['addProjectAccess', 'removeProjectAccess'] as const;

/** `/v3/{project_id}/types`: volume types, the default one, and private types' access lists. */
@Controller('v3/:projectId/types')
export class VolumeTypesController {
  constructor(
    private readonly types: VolumeTypesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string) {
    return this.types.list(new Caller(auth, this.policy, projectId), query, url);
  }

  @Post()
  @HttpCode(200)
  async create(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Body() body: unknown) {
    return { volume_type: await this.types.create(new Caller(auth, this.policy, projectId), body) };
  }

  // Before `:id`, which would take it for an id.
  @Get('default')
  async showDefault(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    return { volume_type: await this.types.showDefault(new Caller(auth, this.policy, projectId)) };
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string) {
    return { volume_type: await this.types.show(new Caller(auth, this.policy, projectId), id) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown) {
    return { volume_type: await this.types.update(new Caller(auth, this.policy, projectId), id, body) };
  }

  @Delete(':id')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string): Promise<void> {
    await this.types.delete(new Caller(auth, this.policy, projectId), id);
  }

  @Get(':id/os-volume-type-access')
  accessList(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string) {
    return this.types.accessList(new Caller(auth, this.policy, projectId), id);
  }

  /** `addProjectAccess` or `removeProjectAccess`: the body's only key. */
  @Post(':id/action')
  @HttpCode(202)
  async act(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    const caller = new Caller(auth, this.policy, projectId);
    const names = typeof body === 'object' && body !== null ? Object.keys(body) : [];
    const action = ACCESS_ACTIONS.find((candidate) => names.length === 1 && names[0] === candidate);
    if (action === undefined) {
      throw badRequest(`There is no such action: ${names.join(', ') || 'none'}`);
    }
    await this.types.changeAccess(caller, id, action, body);
  }
}
