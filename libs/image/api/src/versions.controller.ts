import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';

function versions(request: Request) {
  return { versions: [versionEntry(request, { id: 'v2.0', status: 'CURRENT', path: '/v2/' })] };
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
