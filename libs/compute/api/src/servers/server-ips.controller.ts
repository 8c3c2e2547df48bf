import { Controller, Get, Param } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { serverAddresses } from './server-view';
import { ServersService } from './servers.service';

/** `/v2.1/servers/{server_id}/ips`: the server's addresses, all or those on one network (by its name). */
@Controller('v2.1/servers/:serverId/ips')
export class ServerIpsController {
  constructor(
    private readonly servers: ServersService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return { addresses: await this.addresses(new Caller(auth, this.policy), serverId, 'os_compute_api:ips:index') };
  }

  @Get(':network')
  async show(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('network') network: string) {
    const addresses = (await this.addresses(new Caller(auth, this.policy), serverId, 'os_compute_api:ips:show'))[network];
    if (addresses === undefined) {
      throw notFound('Instance is not a member of specified network');
    }
    return { [network]: addresses };
  }

  private async addresses(caller: Caller, serverId: string, rule: string): Promise<Record<string, Record<string, unknown>[]>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(rule, { project_id: instance.projectId });
    return serverAddresses(instance, false);
  }
}
