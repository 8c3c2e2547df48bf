import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { type ServerRequest, ServersService } from './servers.service';

/** `/v2.1/servers`. */
@Controller('v2.1/servers')
export class ServersController {
  constructor(
    private readonly servers: ServersService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Query() query: Record<string, unknown>) {
    const context = this.request(auth, version, request);
    return this.servers.list(context, query, false, `${context.baseUrl}/v2.1/servers`);
  }

  // Before `:id`, which would take it for an id.
  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Query() query: Record<string, unknown>) {
    const context = this.request(auth, version, request);
    return this.servers.list(context, query, true, `${context.baseUrl}/v2.1/servers/detail`);
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Param('id') id: string) {
    return { server: await this.servers.show(this.request(auth, version, request), id) };
  }

  @Post()
  @HttpCode(202)
  create(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Body() body: unknown) {
    return this.servers.create(this.request(auth, version, request), body);
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Param('id') id: string, @Body() body: unknown) {
    return { server: await this.servers.update(this.request(auth, version, request), id, body) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.servers.delete(new Caller(auth, this.policy), id);
  }

  private request(auth: AuthContext, version: ApiVersion, request: Request): ServerRequest {
    return { caller: new Caller(auth, this.policy), baseUrl: requestBaseUrl(request), version };
  }
}
