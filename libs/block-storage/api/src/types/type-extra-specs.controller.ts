import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { TypeExtraSpecsService } from './type-extra-specs.service';

/** `/v3/{project_id}/types/{type_id}/extra_specs`: Cinder answers a change with what it set. */
@Controller('v3/:projectId/types/:typeId/extra_specs')
export class TypeExtraSpecsController {
  constructor(
    private readonly specs: TypeExtraSpecsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('typeId') typeId: string) {
    return { extra_specs: await this.specs.list(new Caller(auth, this.policy, projectId), typeId) };
  }

  @Post()
  @HttpCode(200)
  async create(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('typeId') typeId: string, @Body() body: unknown) {
    return { extra_specs: await this.specs.set(new Caller(auth, this.policy, projectId), typeId, body) };
  }

  @Get(':key')
  show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('typeId') typeId: string, @Param('key') key: string) {
    return this.specs.show(new Caller(auth, this.policy, projectId), typeId, key);
  }

  @Put(':key')
  update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('typeId') typeId: string, @Param('key') key: string, @Body() body: unknown) {
    return this.specs.set(new Caller(auth, this.policy, projectId), typeId, body, key);
  }

  @Delete(':key')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('typeId') typeId: string, @Param('key') key: string): Promise<void> {
    await this.specs.delete(new Caller(auth, this.policy, projectId), typeId, key);
  }
}
