import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';

/**
 * Glance lists every minor version it serves, newest first, the newest CURRENT. Ours goes up to
 * 2.8: interoperable import (2.6), hidden images and multihash (2.7) and multiple stores (2.8);
 * the later ones add APIs (tasks, cache, new locations) not served here.
 */
const NEWEST_MINOR = 8;

function versions(request: Request) {
  return {
    versions: Array.from({ length: NEWEST_MINOR + 1 }, (_, index) => NEWEST_MINOR - index).map((minor) =>
      versionEntry(request, { id: `v2.${minor}`, status: minor === NEWEST_MINOR ? 'CURRENT' : 'SUPPORTED', path: '/v2/' }),
    ),
  };
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
