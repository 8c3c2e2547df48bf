import { Controller, Delete, Get, HttpCode, Param, Query, Req } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';
import { Caller } from '../common/caller';
import { ImagesService } from './images.service';

/** `/v2.1/images`: Nova's proxy to the image service, which clients of 2.1 (and tempest's compute tests) still use. */
@Controller('v2.1/images')
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Req() request: Request, @Query() query: Record<string, unknown>) {
    return this.images.list(new Caller(auth, this.policy), query, false, requestBaseUrl(request));
  }

  // Before `:id`, which would take it for an id.
  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext, @Req() request: Request, @Query() query: Record<string, unknown>) {
    return this.images.list(new Caller(auth, this.policy), query, true, requestBaseUrl(request));
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Req() request: Request, @Param('id') id: string) {
    return { image: await this.images.show(new Caller(auth, this.policy), id, requestBaseUrl(request)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.images.delete(new Caller(auth, this.policy), id);
  }
}
