import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ComputeServicesService } from './compute-services.service';

/** `/v2.1/os-services`. */
@Controller('v2.1/os-services')
export class ComputeServicesController {
  constructor(
    private readonly services: ComputeServicesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Query() query: Record<string, unknown>) {
    return this.services.list(new Caller(auth, this.policy), version, query);
  }

  /** Until 2.53 the path names the action (`enable`, `disable`, `disable-log-reason`, from 2.11 `force-down`) and the body the service. */
  @Put(':action')
  update(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('action') action: string, @Body() body: unknown) {
    return this.services.update(new Caller(auth, this.policy), version, action, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.services.delete(new Caller(auth, this.policy), id);
  }
}
