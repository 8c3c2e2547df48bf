import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { SecurityGroupsService } from './security-groups.service';

/** `/v2.1/os-security-groups`: create and update answer 200, delete 202, as Nova does. */
@Controller('v2.1/os-security-groups')
export class SecurityGroupsController {
  constructor(
    private readonly groups: SecurityGroupsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>) {
    return { security_groups: await this.groups.list(new Caller(auth, this.policy), query) };
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    return { security_group: await this.groups.show(new Caller(auth, this.policy), id) };
  }

  @Post()
  @HttpCode(200)
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown) {
    return { security_group: await this.groups.create(new Caller(auth, this.policy), body) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
    return { security_group: await this.groups.update(new Caller(auth, this.policy), id, body) };
  }

  @Delete(':id')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.groups.delete(new Caller(auth, this.policy), id);
  }
}

/** `/v2.1/servers/{server_id}/os-security-groups`. */
@Controller('v2.1/servers/:serverId/os-security-groups')
export class ServerSecurityGroupsController {
  constructor(
    private readonly groups: SecurityGroupsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return { security_groups: await this.groups.ofServer(new Caller(auth, this.policy), serverId) };
  }
}
