import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';

function versions(request: Request) {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${requestBaseUrl(request)}/v2/` }] }] };
}

/** Glance answers its root with 300 Multiple Choices and `/versions` with 200. */
@Public()
@Controller()
export class VersionsController {
  @Get()
  @HttpCode(300)
  root(@Req() request: Request) {
    return versions(request);
  }

  @Get('versions')
  list(@Req() request: Request) {
    return versions(request);
  }
}
