import { Body, Controller, Param, Post } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, conflict, notFound, parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { required, strict } from '../common/nova-input';
import { ServersService } from './servers.service';

const oneOf = (values: string[]) => z.enum(values, { error: required(`one of [${values.map((value) => `'${value}'`).join(', ')}]`) });

/** 2.6's protocols and types (rdp is listed but refused, as Nova's since its Hyper-V driver went); 2.8 adds VMware's `mks`. */
const createSchema = (protocols: string[], types: string[]) => z.strictObject({ remote_console: z.strictObject({ protocol: oneOf(protocols), type: oneOf(types) }, strict) }, strict);
const createSchemas = {
  v26: createSchema(['vnc', 'spice', 'serial', 'rdp'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']),
  v28: createSchema(['vnc', 'spice', 'serial', 'rdp', 'mks'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5', 'webmks']),
};

/**
 * `POST /v2.1/servers/{id}/remote-consoles` (2.6): no console proxy is served, so every request
 * that gets as far as the server's host is answered as a Nova with none enabled answers it.
 */
@Controller('v2.1/servers')
export class RemoteConsolesController {
  constructor(
    private readonly servers: ServersService,
    private readonly policy: PolicyService,
  ) {}

  @Post(':id/remote-consoles')
  async create(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Param('id') id: string, @Body() body: unknown): Promise<never> {
    if (!version.atLeast('2.6')) {
      throw notFound('The resource could not be found.');
    }
    const { remote_console: requested } = parseInput(version.atLeast('2.8') ? createSchemas.v28 : createSchemas.v26, body);
    const caller = new Caller(auth, this.policy);
    const instance = await this.servers.visible(caller, id);
    caller.enforce('os_compute_api:os-remote-consoles', { project_id: instance.projectId });
    if (requested.protocol === 'rdp') {
      throw badRequest('Unavailable console type rdp.');
    }
    if (instance.host === null) {
      throw conflict(`Instance ${instance.id} is not ready`);
    }
    throw badRequest(`Unavailable console type ${requested.type}.`);
  }
}
