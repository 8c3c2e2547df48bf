import { Body, Controller, Delete, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { keypairUserQuery } from './keypair-input';
import { type KeypairRequest, KeypairsService } from './keypairs.service';

/** `/v2.1/os-keypairs`: the caller's keypairs (an admin may name another user from 2.10). */
@Controller('v2.1/os-keypairs')
export class KeypairsController {
  constructor(
    private readonly keypairs: KeypairsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Query() query: Record<string, unknown>) {
    return this.keypairs.list(this.request(auth, version, query), query, requestBaseUrl(request));
  }

  /** 200 until 2.2, 201 from it. */
  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    const keypair = await this.keypairs.create(this.request(auth, version, {}), body);
    response.status(version.atLeast('2.2') ? 201 : 200);
    return { keypair };
  }

  @Get(':name')
  async show(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('name') name: string, @Query() query: Record<string, unknown>) {
    return { keypair: await this.keypairs.show(this.request(auth, version, query), name) };
  }

  /** 202 until 2.2, 204 from it. */
  @Delete(':name')
  async delete(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('name') name: string, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.keypairs.delete(this.request(auth, version, query), name);
    response.status(version.atLeast('2.2') ? 204 : 202);
  }

  private request(auth: AuthContext, version: ApiVersion, query: Record<string, unknown>): KeypairRequest {
    return { caller: new Caller(auth, this.policy), version, userId: keypairUserQuery(query, version) };
  }
}
