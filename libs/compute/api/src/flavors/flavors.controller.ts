import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { accessActionBody } from './flavor-input';
import { type FlavorRequest, FlavorsService } from './flavors.service';

/** `/v2.1/flavors`: the flavors, their management and their access lists. */
@Controller('v2.1/flavors')
export class FlavorsController {
  constructor(
    private readonly flavors: FlavorsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Query() query: Record<string, unknown>) {
    return this.flavors.list(this.request(auth, version, request), query, false);
  }

  // Before `:id`, which would take it for an id.
  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Query() query: Record<string, unknown>) {
    return this.flavors.list(this.request(auth, version, request), query, true);
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Param('id') id: string) {
    return { flavor: await this.flavors.show(this.request(auth, version, request), id) };
  }

  /** 200, not 201, as Nova answers. */
  @Post()
  @HttpCode(200)
  async create(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Body() body: unknown) {
    return { flavor: await this.flavors.create(this.request(auth, version, request), body) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Param('id') id: string, @Body() body: unknown) {
    return { flavor: await this.flavors.update(this.request(auth, version, request), id, body) };
  }

  @Delete(':id')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.flavors.delete(new Caller(auth, this.policy), id);
  }

  @Get(':id/os-flavor-access')
  accessList(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    return this.flavors.accessList(new Caller(auth, this.policy), id);
  }

  /** `addTenantAccess` or `removeTenantAccess`. */
  @Post(':id/action')
  @HttpCode(200)
  act(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Param('id') id: string, @Body() body: unknown) {
    const { action, tenant } = accessActionBody(body);
    return this.flavors.changeAccess(this.request(auth, version, request), id, action, tenant);
  }

  private request(auth: AuthContext, version: ApiVersion, request: Request): FlavorRequest {
    return { caller: new Caller(auth, this.policy), version, baseUrl: requestBaseUrl(request) };
  }
}
