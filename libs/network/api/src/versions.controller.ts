import { Controller, Get, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';

/** Neutron's version list: v2.0 only. */
@Public()
@Controller()
export class VersionsController {
  @Get()
  versions(@Req() request: Request) {
    return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${requestBaseUrl(request)}/v2.0/`, rel: 'self' }] }] };
  }
}
