import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';

/** Identity API v3.14 (Keystone's current), the version every client discovers first. */
function v3Version(request: Request) {
  return versionEntry(request, { id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z', path: '/v3/', mediaType: 'application/vnd.openstack.identity-v3+json' });
}

@Public()
@Controller()
export class VersionsController {
  /** 300 Multiple Choices, exactly as Keystone answers. */
  @Get()
  @HttpCode(300)
  versions(@Req() request: Request) {
    return { versions: { values: [v3Version(request)] } };
  }

  @Get('v3')
  version(@Req() request: Request) {
    return { version: v3Version(request) };
  }
}
