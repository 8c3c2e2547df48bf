import { Controller, Get } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';

/**
 * `GET /v2.1/os-aggregates`: host aggregates are not offered (nothing creates one: the other
 * os-aggregates calls are not served), so the list is always empty. Served because clients read
 * it beside other views: `openstack hypervisor show` lists the aggregates a host is in.
 */
@Controller('v2.1/os-aggregates')
export class AggregatesController {
  constructor(private readonly policy: PolicyService) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext) {
    new Caller(auth, this.policy).enforce('os_compute_api:os-aggregates:index');
    return { aggregates: [] };
  }
}
