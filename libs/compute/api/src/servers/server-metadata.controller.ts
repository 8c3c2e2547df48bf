import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { ServerMetadataService } from './server-metadata.service';

/** `/v2.1/servers/{server_id}/metadata`: every change answers 200 with the result, a deleted item 204. */
@Controller('v2.1/servers/:serverId/metadata')
export class ServerMetadataController {
  constructor(
    private readonly metadata: ServerMetadataService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return { metadata: await this.metadata.list(new Caller(auth, this.policy), serverId) };
  }

  @Post()
  @HttpCode(200)
  async update(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Body() body: unknown) {
    return { metadata: await this.metadata.set(new Caller(auth, this.policy), serverId, body, false) };
  }

  @Put()
  async replace(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Body() body: unknown) {
    return { metadata: await this.metadata.set(new Caller(auth, this.policy), serverId, body, true) };
  }

  @Get(':key')
  async show(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('key') key: string) {
    return { meta: await this.metadata.show(new Caller(auth, this.policy), serverId, key) };
  }

  @Put(':key')
  async setItem(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('key') key: string, @Body() body: unknown) {
    return { meta: await this.metadata.setItem(new Caller(auth, this.policy), serverId, key, body) };
  }

  @Delete(':key')
  @HttpCode(204)
  async deleteItem(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('key') key: string): Promise<void> {
    await this.metadata.deleteItem(new Caller(auth, this.policy), serverId, key);
  }
}
