import { Controller, Get } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { AvailabilityZonesService } from './availability-zones.service';

/** `/v2.1/os-availability-zone`. */
@Controller('v2.1/os-availability-zone')
export class AvailabilityZonesController {
  constructor(
    private readonly zones: AvailabilityZonesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext) {
    return this.zones.list(new Caller(auth, this.policy));
  }

  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext) {
    return this.zones.detail(new Caller(auth, this.policy));
  }
}
