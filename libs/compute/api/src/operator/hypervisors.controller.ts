import { Controller, Get, Param } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { HypervisorsService } from './hypervisors.service';

/** `/v2.1/os-hypervisors`. */
@Controller('v2.1/os-hypervisors')
export class HypervisorsController {
  constructor(
    private readonly hypervisors: HypervisorsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext) {
    return this.hypervisors.list(new Caller(auth, this.policy), false);
  }

  // `detail` and `statistics` before `:id`, which would take them for ids.
  @Get('detail')
  detail(@CurrentAuth() auth: AuthContext) {
    return this.hypervisors.list(new Caller(auth, this.policy), true);
  }

  @Get('statistics')
  statistics(@CurrentAuth() auth: AuthContext) {
    return this.hypervisors.statistics(new Caller(auth, this.policy));
  }

  @Get(':id')
  show(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    return this.hypervisors.show(new Caller(auth, this.policy), id);
  }

  @Get(':id/uptime')
  uptime(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    return this.hypervisors.uptime(new Caller(auth, this.policy), id);
  }

  @Get(':pattern/search')
  search(@CurrentAuth() auth: AuthContext, @Param('pattern') pattern: string) {
    return this.hypervisors.search(new Caller(auth, this.policy), pattern);
  }

  @Get(':pattern/servers')
  servers(@CurrentAuth() auth: AuthContext, @Param('pattern') pattern: string) {
    return this.hypervisors.servers(new Caller(auth, this.policy), pattern);
  }
}
