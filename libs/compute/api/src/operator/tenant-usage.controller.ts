import { Controller, Get, Param, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { TenantUsageService } from './tenant-usage.service';

/** `/v2.1/os-simple-tenant-usage`. */
@Controller('v2.1/os-simple-tenant-usage')
export class TenantUsageController {
  constructor(
    private readonly usage: TenantUsageService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>) {
    return this.usage.list(new Caller(auth, this.policy), query);
  }

  @Get(':projectId')
  show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    return this.usage.show(new Caller(auth, this.policy), projectId, query);
  }
}
