import { Controller, Get, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { queryText } from '../common/nova-list';
import { QuotaSetsService } from './quota-sets.service';

/** `/v2.1/limits`. */
@Controller('v2.1/limits')
export class LimitsController {
  constructor(
    private readonly quotaSets: QuotaSetsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  limits(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>) {
    return this.quotaSets.limits(new Caller(auth, this.policy), queryText(query, 'tenant_id'));
  }
}
