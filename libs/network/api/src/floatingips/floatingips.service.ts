import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FloatingIpEntity, IpAllocationEntity, PortEntity, RouterEntity } from '@overcast/network/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { visibleFloatingIp, visibleNetwork, visiblePort } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed } from '../common/changes';
import { listPage, type ListPage } from '../common/neutron-list';
import { resourceBody } from '../common/request-body';
import { newStandardAttributes, standardView, touch } from '../common/standard-view';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { insertPort, removePort } from '../ports/port-writer';
import { QuotasService } from '../quotas/quotas.service';

export const FLOATINGIP_SORT_KEYS = ['id', 'floating_ip_address', 'fixed_ip_address', 'floating_network_id', 'port_id', 'router_id', 'status', 'project_id', 'tenant_id', 'created_at', 'updated_at'];

const association = { port_id: z.string().nullable().optional(), fixed_ip_address: z.string().nullable().optional(), description: z.string().max(255).optional() };
const createFloatingIp = z.object({
  ...association,
  floating_network_id: z.string(),
  floating_ip_address: z.string().optional(),
  subnet_id: z.string().optional(),
  tenant_id: z.string().optional(),
  project_id: z.string().optional(),
});
const updateFloatingIp = z.object(association);

export function floatingIpView(floatingIp: FloatingIpEntity) {
  return {
    ...standardView(floatingIp),
    floating_network_id: floatingIp.floatingNetworkId,
    floating_ip_address: floatingIp.floatingIpAddress,
    port_id: floatingIp.fixedPortId,
    fixed_ip_address: floatingIp.fixedIpAddress,
    router_id: floatingIp.routerId,
    status: floatingIp.status,
  };
}

@Injectable()
export class FloatingIpsService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const floatingIps = await this.dataSource.manager.find(FloatingIpEntity, { where: caller.listScope() });
    return listPage(floatingIps.map(floatingIpView), query, { url, maxLimit: this.settings.maxPageSize, sortable: FLOATINGIP_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    return floatingIpView(await visibleFloatingIp(this.dataSource.manager, caller, id));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'floatingip', createFloatingIp);
    const projectId = caller.ownerFor(input);
    if (input.floating_ip_address !== undefined) {
      caller.enforce('context_is_admin');
    }
    caller.enforce('write', projectId);
    const view = await this.dataSource.transaction(async (manager) => {
      const network = await visibleNetwork(manager, caller, input.floating_network_id);
      if (!network.external) {
        throw badRequest(`Bad floatingip request: Network ${network.id} is not a valid external network.`, 'BadRequest');
      }
      await this.quotas.check(manager, projectId, 'floatingip');
      const id = randomUUID();
      const fixedIps = input.floating_ip_address !== undefined || input.subnet_id !== undefined ? [{ subnet_id: input.subnet_id, ip_address: input.floating_ip_address }] : undefined;
      const port = await insertPort(manager, { network, projectId: '', deviceId: id, deviceOwner: 'network:floatingip', fixedIps, securityGroupIds: [], portSecurityEnabled: false });
      const address = (await manager.findBy(IpAllocationEntity, { portId: port.id })).find((ip) => !ip.ipAddress.includes(':'));
      if (!address) {
        throw badRequest(`Bad floatingip request: Network ${network.id} has no IPv4 subnet for a floating IP.`, 'BadRequest');
      }
      const floatingIp = manager.create(FloatingIpEntity, {
        id,
        ...newStandardAttributes(projectId, input.description),
        floatingNetworkId: network.id,
        floatingIpAddress: address.ipAddress,
        floatingPortId: port.id,
        fixedPortId: null,
        fixedIpAddress: null,
        routerId: null,
        status: 'DOWN',
      });
      if (input.port_id) {
        await this.associate(manager, caller, floatingIp, input.port_id, input.fixed_ip_address ?? undefined);
      }
      await manager.insert(FloatingIpEntity, floatingIp);
      return floatingIpView(floatingIp);
    });
    await this.changes.committed([{ resource: 'floatingip', action: 'create', view }]);
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'floatingip', updateFloatingIp);
    const view = await this.dataSource.transaction(async (manager) => {
      const floatingIp = await visibleFloatingIp(manager, caller, id, { lock: true });
      caller.enforce('write', floatingIp.projectId);
      if (input.port_id !== undefined) {
        Object.assign(floatingIp, { fixedPortId: null, fixedIpAddress: null, routerId: null, status: 'DOWN' });
        if (input.port_id !== null) {
          await this.associate(manager, caller, floatingIp, input.port_id, input.fixed_ip_address ?? undefined);
        }
      }
      floatingIp.description = input.description ?? floatingIp.description;
      await manager.save(touch(floatingIp));
      return floatingIpView(floatingIp);
    });
    await this.changes.committed([{ resource: 'floatingip', action: 'update', view }]);
    return view;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const view = await this.dataSource.transaction(async (manager) => {
      const floatingIp = await visibleFloatingIp(manager, caller, id, { lock: true });
      caller.enforce('write', floatingIp.projectId);
      await manager.delete(FloatingIpEntity, { id });
      await removePort(manager, floatingIp.floatingPortId);
      return floatingIpView(floatingIp);
    });
    await this.changes.committed([{ resource: 'floatingip', action: 'delete', view }]);
  }

  /**
   * Points the floating IP at one of a port's IPv4 addresses, through the router that joins the
   * port's subnet to the floating IP's external network.
   */
  private async associate(manager: EntityManager, caller: Caller, floatingIp: FloatingIpEntity, portId: string, fixedIpAddress: string | undefined): Promise<void> {
    const port: PortEntity = await visiblePort(manager, caller, portId);
    const addresses = (await manager.findBy(IpAllocationEntity, { portId: port.id })).filter((ip) => !ip.ipAddress.includes(':'));
    const chosen = fixedIpAddress === undefined ? addresses[0] : addresses.find((ip) => ip.ipAddress === fixedIpAddress);
    if (!chosen) {
      throw badRequest(
        fixedIpAddress === undefined ? `Bad floatingip request: Port ${port.id} does not have any IPv4 address.` : `Bad floatingip request: Port ${port.id} does not have fixed ip ${fixedIpAddress}.`,
        'BadRequest',
      );
    }
    if (fixedIpAddress === undefined && addresses.length > 1) {
      throw badRequest(`Bad floatingip request: Port ${port.id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP.`, 'BadRequest');
    }
    const taken = await manager.findOneBy(FloatingIpEntity, { fixedPortId: port.id, fixedIpAddress: chosen.ipAddress });
    if (taken && taken.id !== floatingIp.id) {
      throw conflict(
        `Cannot associate floating IP ${floatingIp.floatingIpAddress} (${floatingIp.id}) with port ${port.id} using fixed IP ${chosen.ipAddress}, as that fixed IP already has a floating IP on external network ${taken.floatingNetworkId}.`,
        'FloatingIPPortAlreadyAssociated',
      );
    }
    const router = await this.routerBetween(manager, chosen.subnetId, floatingIp.floatingNetworkId);
    if (!router) {
      throw notFound(
        `External network ${floatingIp.floatingNetworkId} is not reachable from subnet ${chosen.subnetId}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`,
        'ExternalGatewayForFloatingIPNotFound',
      );
    }
    Object.assign(floatingIp, { fixedPortId: port.id, fixedIpAddress: chosen.ipAddress, routerId: router.id, status: 'DOWN' });
  }

  /** The router with a leg on the subnet and its gateway on the external network. */
  private async routerBetween(manager: EntityManager, subnetId: string, externalNetworkId: string): Promise<RouterEntity | null> {
    const [row] = (await manager.query(
      `SELECT r.id FROM routers r
         JOIN ports g ON g.id = r.gw_port_id AND g.network_id = $2
         JOIN ports leg ON leg.device_id = r.id::text AND leg.device_owner = 'network:router_interface'
         JOIN ip_allocations a ON a.port_id = leg.id AND a.subnet_id = $1
       LIMIT 1`,
      [subnetId, externalNetworkId],
    )) as { id: string }[];
    return row ? manager.findOneBy(RouterEntity, { id: row.id }) : null;
  }
}
