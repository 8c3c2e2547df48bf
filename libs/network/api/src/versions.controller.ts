import { Controller, Get, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { versionEntry } from '@overcast/shared/core';
import { type Request } from 'express';

/** Neutron's version list: v2.0 only. */
@Public()
@Controller()
export class VersionsController {
  @Get()
  versions(@Req() request: Request) {
    return { versions: [versionEntry(request, { id: 'v2.0', status: 'CURRENT', path: '/v2.0/' })] };
  }
}
