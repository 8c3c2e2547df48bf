import { Body, Controller, Param, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { RoutersService } from './routers.service';

/** Neutron's router actions: `PUT /v2.0/routers/{id}/add_router_interface` and `…/remove_router_interface`. */
@Controller('v2.0/routers/:id')
export class RouterInterfacesController {
  constructor(
    private readonly routers: RoutersService,
    private readonly policy: PolicyService,
  ) {}

  @Put('add_router_interface')
  add(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
    return this.routers.addInterface(new Caller(auth, this.policy), id, body);
  }

  @Put('remove_router_interface')
  remove(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
    return this.routers.removeInterface(new Caller(auth, this.policy), id, body);
  }
}
