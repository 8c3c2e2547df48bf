import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';
import { MAX_VERSION, MIN_VERSION } from './common/microversion';

/** Cinder v3, with the microversions this service serves. */
@Public()
@Controller()
export class VersionsController {
  @Get()
  @HttpCode(300)
  versions(@Req() request: Request) {
    return {
      versions: [
        versionEntry(request, {
          id: 'v3.0',
          status: 'CURRENT',
          version: MAX_VERSION,
          minVersion: MIN_VERSION,
          updated: '2023-01-01T00:00:00Z',
          path: '/v3/',
          describedBy: true,
          mediaType: 'application/vnd.openstack.volume+json;version=3',
        }),
      ],
    };
  }
}
