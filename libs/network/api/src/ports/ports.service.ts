import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FloatingIpEntity, PortEntity, PortSecurityGroupEntity } from '@overcast/network/data-access';
import { badRequest, conflict, forbidden } from '@overcast/shared/core';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { visibleNetwork, visiblePort } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed, type Change } from '../common/changes';
import { listPage, type ListPage } from '../common/neutron-list';
import { resourceBody } from '../common/request-body';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { QuotasService } from '../quotas/quotas.service';
import { SecurityGroupsService } from '../security-groups/security-groups.service';
import { PORT_SORT_KEYS, withoutAdminAttributes } from './port-view';
import { portViewOf, portViews } from './port-records';
import { insertPort, removePort, replaceAddresses, savePortUpdate, setSecurityGroups } from './port-writer';

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
const fixedIp = z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() }).strict();
const addressPair = z.object({ ip_address: z.string(), mac_address: z.string().regex(MAC, "'mac_address' is not a valid MAC address").optional() }).strict();
const changeable = {
  name: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  admin_state_up: z.boolean().optional(),
  device_id: z.string().max(255).optional(),
  device_owner: z.string().max(255).optional(),
  fixed_ips: z.array(fixedIp).optional(),
  security_groups: z.array(z.string()).nullable().optional(),
  allowed_address_pairs: z.array(addressPair).nullable().optional(),
  port_security_enabled: z.boolean().optional(),
  'binding:host_id': z.string().max(255).optional(),
  'binding:profile': z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullable().optional(),
  'binding:vnic_type': z.enum(['normal'], { message: "only the 'normal' vnic type is supported" }).optional(),
};
const createPort = z.object({
  ...changeable,
  network_id: z.string(),
  mac_address: z.string().regex(MAC, "'mac_address' is not a valid MAC address").optional(),
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
});
const updatePort = z.object({ ...changeable, mac_address: z.string().regex(MAC, "'mac_address' is not a valid MAC address").optional() });
type PortInput = z.infer<typeof updatePort>;

/** Ports the network service makes and keeps itself; the port API may not delete them. */
const SERVICE_OWNED = ['network:router_interface', 'network:router_gateway', 'network:floatingip'];

@Injectable()
export class PortsService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly securityGroups: SecurityGroupsService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const manager = this.dataSource.manager;
    // The filters most lists use go to the database; listPage applies every filter again anyway.
    const where: Record<string, unknown> = caller.listScope();
    for (const [filter, column] of [['network_id', 'networkId'], ['device_id', 'deviceId'], ['device_owner', 'deviceOwner']] as const) {
      if (typeof query[filter] === 'string') {
        where[column] = query[filter];
      }
    }
    const ports = await manager.find(PortEntity, { where });
    return listPage(await portViews(manager, ports, seesBindings(caller)), query, { url, maxLimit: this.settings.maxPageSize, sortable: PORT_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    return portViewOf(this.dataSource.manager, await visiblePort(this.dataSource.manager, caller, id), seesBindings(caller));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'port', createPort);
    this.checkAdminAttributes(caller, input);
    const view = await this.dataSource.transaction(async (manager) => {
      const network = await visibleNetwork(manager, caller, input.network_id, { lock: true });
      const projectId = caller.ownerFor(input);
      if (!network.shared && network.projectId !== caller.projectId) {
        caller.enforce('context_is_admin');
      }
      caller.enforce('write', projectId);
      await this.quotas.check(manager, projectId, 'port');
      const portSecurityEnabled = input.port_security_enabled ?? network.portSecurityEnabled;
      const securityGroupIds = await this.groupsFor(manager, caller, projectId, portSecurityEnabled, input.security_groups, input.allowed_address_pairs);
      const port = await insertPort(manager, {
        network,
        projectId,
        name: input.name,
        description: input.description,
        macAddress: input.mac_address,
        adminStateUp: input.admin_state_up,
        deviceId: input.device_id,
        deviceOwner: input.device_owner,
        fixedIps: input.fixed_ips,
        securityGroupIds,
        portSecurityEnabled,
        allowedAddressPairs: (input.allowed_address_pairs ?? []).map((pair) => ({ ip_address: pair.ip_address, mac_address: pair.mac_address ?? '' })),
        bindingHostId: input['binding:host_id'],
        bindingProfile: input['binding:profile'] ?? undefined,
        bindingVnicType: input['binding:vnic_type'],
      });
      return portViewOf(manager, port, true);
    });
    await this.changes.committed([{ resource: 'port', action: 'create', view }]);
    return seesBindings(caller) ? view : withoutAdminAttributes(view);
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'port', updatePort);
    this.checkAdminAttributes(caller, input);
    const change = await this.dataSource.transaction(async (manager) => {
      const port = await visiblePort(manager, caller, id, { lock: true });
      caller.enforce('port:write', port.projectId);
      if (input.mac_address !== undefined && input.mac_address.toLowerCase() !== port.macAddress) {
        caller.enforce('context_is_admin');
        if (port.bindingHostId !== '') {
          throw conflict(`Port ${id} is bound: its MAC address cannot change.`, 'PortBound');
        }
        port.macAddress = input.mac_address.toLowerCase();
      }
      if (input.fixed_ips !== undefined) {
        await replaceAddresses(manager, port, input.fixed_ips);
      }
      const portSecurityEnabled = input.port_security_enabled ?? port.portSecurityEnabled;
      if (input.security_groups !== undefined || input.port_security_enabled !== undefined) {
        const current = (await manager.findBy(PortSecurityGroupEntity, { portId: id })).map((link) => link.securityGroupId);
        const requested = input.security_groups === undefined ? current : (input.security_groups ?? []);
        if (!portSecurityEnabled && requested.length > 0) {
          throw conflict(`Port ${id} has security groups; they must go before port security can be disabled.`, 'PortSecurityPortHasSecurityGroup');
        }
        await this.securityGroups.checkUsable(manager, caller, requested);
        await setSecurityGroups(manager, id, requested);
      }
      const hostChanged = input['binding:host_id'] !== undefined && input['binding:host_id'] !== port.bindingHostId;
      Object.assign(port, {
        name: input.name ?? port.name,
        description: input.description ?? port.description,
        adminStateUp: input.admin_state_up ?? port.adminStateUp,
        deviceId: input.device_id ?? port.deviceId,
        deviceOwner: input.device_owner ?? port.deviceOwner,
        portSecurityEnabled,
        allowedAddressPairs:
          input.allowed_address_pairs === undefined ? port.allowedAddressPairs : (input.allowed_address_pairs ?? []).map((pair) => ({ ip_address: pair.ip_address, mac_address: pair.mac_address ?? port.macAddress })),
        bindingHostId: input['binding:host_id'] ?? port.bindingHostId,
        bindingProfile: input['binding:profile'] === undefined ? port.bindingProfile : (input['binding:profile'] ?? {}),
        bindingVnicType: input['binding:vnic_type'] ?? port.bindingVnicType,
        // A port moving host is not wired until the new host's agent says so.
        status: hostChanged ? 'DOWN' : port.status,
      });
      if (!port.portSecurityEnabled && port.allowedAddressPairs.length > 0) {
        throw conflict('Port security must be enabled in order to have allowed address pairs on a port.', 'AddressPairAndPortSecurityRequired');
      }
      return savePortUpdate(manager, port);
    });
    await this.changes.committed([change]);
    return seesBindings(caller) ? change.view : withoutAdminAttributes(change.view);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const changes = await this.dataSource.transaction(async (manager) => {
      const port = await visiblePort(manager, caller, id, { lock: true });
      caller.enforce('port:write', port.projectId);
      if (SERVICE_OWNED.includes(port.deviceOwner)) {
        throw conflict(`Port ${id} cannot be deleted directly via the port API: has device owner ${port.deviceOwner}.`, 'ServicePortInUse');
      }
      return this.deleteWithin(manager, port);
    });
    await this.changes.committed(changes);
  }

  /** Deletes a port in the caller's transaction, disassociating the floating IPs that pointed at it. */
  async deleteWithin(manager: EntityManager, port: PortEntity): Promise<Change[]> {
    const view = await portViewOf(manager, port, true);
    await manager.update(FloatingIpEntity, { fixedPortId: port.id }, { fixedPortId: null, fixedIpAddress: null, routerId: null, status: 'DOWN', updatedAt: new Date() });
    await removePort(manager, port.id);
    return [{ resource: 'port', action: 'delete', view }];
  }

  private checkAdminAttributes(caller: Caller, input: PortInput): void {
    if (input['binding:host_id'] !== undefined || input['binding:profile'] !== undefined) {
      caller.enforce('port:binding');
    }
    if (input.device_owner?.startsWith('network:')) {
      caller.enforce('port:device_owner');
    }
  }

  /** The groups a new port gets: those asked for, or the project's default; none without port security. */
  private async groupsFor(
    manager: EntityManager,
    caller: Caller,
    projectId: string,
    portSecurityEnabled: boolean,
    requested: string[] | null | undefined,
    addressPairs: unknown[] | null | undefined,
  ): Promise<string[]> {
    if (!portSecurityEnabled) {
      if (requested && requested.length > 0) {
        throw badRequest('Port security must be enabled and port must have an IP address in order to use security groups.', 'PortSecurityAndIPRequiredForSecurityGroups');
      }
      if (addressPairs && addressPairs.length > 0) {
        throw conflict('Port security must be enabled in order to have allowed address pairs on a port.', 'AddressPairAndPortSecurityRequired');
      }
      return [];
    }
    if (requested === undefined || requested === null) {
      return [await this.securityGroups.ensureDefault(manager, projectId)];
    }
    if (!caller.isAdmin && projectId !== caller.projectId) {
      throw forbidden();
    }
    await this.securityGroups.checkUsable(manager, caller, requested);
    return requested;
  }
}

/** Bindings are shown to whoever may set them: the admin, and compute, which reads the VIF type of the ports it binds (Neutron's ADMIN_OR_SERVICE). */
function seesBindings(caller: Caller): boolean {
  return caller.allows('port:binding');
}
