import { Controller, Get, Req } from '@nestjs/common';
import { Public } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';

/** Nova v2.1 with no microversion beyond 2.1 yet: clients then send none. */
function v21(request: Request) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: '2.1',
    min_version: '2.1',
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${requestBaseUrl(request)}/v2.1/` }],
  };
}

@Public()
@Controller()
export class VersionsController {
  @Get()
  versions(@Req() request: Request) {
    return { versions: [v21(request)] };
  }

  @Get(['v2.1', 'v2.1/'])
  version(@Req() request: Request) {
    return {
      version: {
        ...v21(request),
        links: [...v21(request).links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      },
    };
  }
}
