import { Controller, Get, Param } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ServerInstanceActionsService } from './server-instance-actions.service';

/** `/v2.1/servers/{server_id}/os-instance-actions`. */
@Controller('v2.1/servers/:serverId/os-instance-actions')
export class ServerInstanceActionsController {
  constructor(
    private readonly actions: ServerInstanceActionsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return this.actions.list(new Caller(auth, this.policy), serverId);
  }

  @Get(':requestId')
  show(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('serverId') serverId: string, @Param('requestId') requestId: string) {
    return this.actions.show(new Caller(auth, this.policy), version, serverId, requestId);
  }
}
