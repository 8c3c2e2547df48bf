import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { ComputeServicesService } from './compute-services.service';

/** `/v2.1/os-services`. */
@Controller('v2.1/os-services')
export class ComputeServicesController {
  constructor(
    private readonly services: ComputeServicesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>) {
    return this.services.list(new Caller(auth, this.policy), query);
  }

  /** At 2.1 the path names the action (`enable`, `disable`, `disable-log-reason`) and the body the service. */
  @Put(':action')
  update(@CurrentAuth() auth: AuthContext, @Param('action') action: string, @Body() body: unknown) {
    return this.services.update(new Caller(auth, this.policy), action, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.services.delete(new Caller(auth, this.policy), id);
  }
}
