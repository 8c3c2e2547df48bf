import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';

/** Cinder v3 with no microversion beyond 3.0 yet. */
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
          version: '3.0',
          minVersion: '3.0',
          updated: '2023-01-01T00:00:00Z',
          path: '/v3/',
          describedBy: true,
          mediaType: 'application/vnd.openstack.volume+json;version=3',
        }),
      ],
    };
  }
}
