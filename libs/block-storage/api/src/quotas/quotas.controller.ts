import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { booleanQuery } from '../common/query';
import { QuotasService } from './quotas.service';

/** `/v3/{project_id}/os-quota-sets/{target}` (a project reads its own, the admin anyone's and sets them) and `/v3/{project_id}/limits`. */
@Controller('v3/:projectId')
export class QuotasController {
  constructor(
    private readonly quotas: QuotasService,
    private readonly policy: PolicyService,
  ) {}

  @Get('os-quota-sets/:target/defaults')
  defaults(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('target') target: string) {
    return this.quotas.showDefaults(new Caller(auth, this.policy, projectId), target);
  }

  @Get('os-quota-sets/:target')
  show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('target') target: string, @Query() query: Record<string, unknown>) {
    const caller = new Caller(auth, this.policy, projectId);
    return this.quotas.show(caller, target, booleanQuery(query, 'usage'));
  }

  @Put('os-quota-sets/:target')
  update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('target') target: string, @Body() body: unknown) {
    return this.quotas.update(new Caller(auth, this.policy, projectId), target, body);
  }

  @Delete('os-quota-sets/:target')
  @HttpCode(200)
  async reset(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('target') target: string): Promise<void> {
    await this.quotas.reset(new Caller(auth, this.policy, projectId), target);
  }

  @Get('limits')
  limits(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    return this.quotas.absoluteLimits(new Caller(auth, this.policy, projectId));
  }
}
