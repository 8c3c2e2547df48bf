import { Controller, Get, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';
import { MAX_VERSION, MIN_VERSION } from './common/microversion';

const V2_1 = { id: 'v2.1', status: 'CURRENT', version: MAX_VERSION, minVersion: MIN_VERSION, updated: '2013-07-23T11:33:21Z', path: '/v2.1/' } as const;
/** The legacy v2 API, as Nova still serves it: the v2.1 resources without microversions (common/legacy-v2.ts). */
const V2_0 = { id: 'v2.0', status: 'SUPPORTED', version: '', minVersion: '', updated: '2011-01-21T11:33:21Z', path: '/v2/' } as const;
const mediaType = (version: string) => `application/vnd.openstack.compute+json;version=${version}`;

@Public()
@Controller()
export class VersionsController {
  @Get()
  versions(@Req() request: Request) {
    return { versions: [versionEntry(request, V2_0), versionEntry(request, V2_1)] };
  }

  @Get(['v2', 'v2/'])
  legacyVersion(@Req() request: Request) {
    return { version: versionEntry(request, { ...V2_0, describedBy: true, mediaType: mediaType('2') }) };
  }

  @Get(['v2.1', 'v2.1/'])
  version(@Req() request: Request) {
    return { version: versionEntry(request, { ...V2_1, describedBy: true, mediaType: mediaType('2.1') }) };
  }
}
