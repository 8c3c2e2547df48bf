import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { queryText } from '../common/nova-list';
import { QuotaSetsService } from './quota-sets.service';

/** `/v2.1/os-quota-sets/{project_id}`. */
@Controller('v2.1/os-quota-sets')
export class QuotaSetsController {
  constructor(
    private readonly quotaSets: QuotaSetsService,
    private readonly policy: PolicyService,
  ) {}

  @Get(':projectId')
  show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    return this.quotaSets.show(new Caller(auth, this.policy), projectId);
  }

  @Get(':projectId/detail')
  detail(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    return this.quotaSets.detail(new Caller(auth, this.policy), projectId);
  }

  @Get(':projectId/defaults')
  defaults(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    return this.quotaSets.defaults(new Caller(auth, this.policy), projectId);
  }

  @Put(':projectId')
  update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @Body() body: unknown) {
    return this.quotaSets.update(new Caller(auth, this.policy), projectId, queryText(query, 'user_id'), body);
  }

  /** 202, as Nova answers it. */
  @Delete(':projectId')
  @HttpCode(202)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>): Promise<void> {
    await this.quotaSets.delete(new Caller(auth, this.policy), projectId, queryText(query, 'user_id'));
  }
}
