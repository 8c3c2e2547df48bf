import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ServerGroupsService } from './server-groups.service';

/** `/v2.1/os-server-groups`. */
@Controller('v2.1/os-server-groups')
export class ServerGroupsController {
  constructor(
    private readonly groups: ServerGroupsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Query() query: Record<string, unknown>) {
    return this.groups.list(new Caller(auth, this.policy), version, query);
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('id') id: string) {
    return { server_group: await this.groups.show(new Caller(auth, this.policy), version, id) };
  }

  /** 200, as Nova answers it. */
  @Post()
  @HttpCode(200)
  async create(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Body() body: unknown) {
    return { server_group: await this.groups.create(new Caller(auth, this.policy), version, body) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.groups.delete(new Caller(auth, this.policy), id);
  }
}
