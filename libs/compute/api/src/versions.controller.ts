import { Controller, Get, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';
import { MAX_VERSION, MIN_VERSION } from './common/microversion';

const V2_1 = { id: 'v2.1', status: 'CURRENT', version: MAX_VERSION, minVersion: MIN_VERSION, updated: '2013-07-23T11:33:21Z', path: '/v2.1/' } as const;

@Public()
@Controller()
export class VersionsController {
  @Get()
  versions(@Req() request: Request) {
    return { versions: [versionEntry(request, V2_1)] };
  }

  @Get(['v2.1', 'v2.1/'])
  version(@Req() request: Request) {
    return { version: versionEntry(request, { ...V2_1, describedBy: true, mediaType: 'application/vnd.openstack.compute+json;version=2.1' }) };
  }
}
