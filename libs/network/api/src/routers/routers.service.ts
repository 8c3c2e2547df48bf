import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FloatingIpEntity, IpAllocationEntity, type NetworkEntity, PortEntity, RouterEntity, SubnetEntity } from '@overcast/network/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { z } from 'zod';
import { visibleNetwork, visiblePort, visibleRouter, visibleSubnet } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed, type Change } from '../common/changes';
import { cidrContains, cidrOf, cidrsOverlap, parseAddress, parseCidr } from '../common/ip-math';
import { listPage, type ListPage } from '../common/neutron-list';
import { invalidInput, resourceBody } from '../common/request-body';
import { newStandardAttributes, touch, onlyView } from '../common/standard-view';
import { AgentsService } from '../agents/agents.service';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { portViewOf } from '../ports/port-records';
import { insertPort, removePort } from '../ports/port-writer';
import { QuotasService } from '../quotas/quotas.service';
import { ROUTER_SORT_KEYS, routerView } from './router-view';

/** `{}` (or no network_id) clears the gateway, as in Neutron. */
const gatewayInfo = z
  .object({
    network_id: z.string().optional(),
    enable_snat: z.boolean().optional(),
    external_fixed_ips: z.array(z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() }).strict()).optional(),
  })
  .strict();
const route = z.object({ destination: z.string(), nexthop: z.string() }).strict();
const changeable = {
  name: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  admin_state_up: z.boolean().optional(),
  external_gateway_info: gatewayInfo.nullable().optional(),
};
const createRouter = z.object({ ...changeable, availability_zone_hints: z.array(z.string()).optional(), tenant_id: z.string().optional(), project_id: z.string().optional() });
const updateRouter = z.object({ ...changeable, routes: z.array(route).nullable().optional() });
const interfaceRequest = z.object({ subnet_id: z.string().optional(), port_id: z.string().optional() });

const badRouterRequest = (message: string) => badRequest(`Bad router request: ${message}.`, 'BadRequest');

@Injectable()
export class RoutersService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
    private readonly agents: AgentsService,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const routers = await this.dataSource.manager.find(RouterEntity, { where: caller.listScope() });
    return listPage(await this.views(this.dataSource.manager, routers), query, { url, maxLimit: this.settings.maxPageSize, sortable: ROUTER_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    return onlyView(await this.views(this.dataSource.manager, [await visibleRouter(this.dataSource.manager, caller, id)]));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'router', createRouter);
    const projectId = caller.ownerFor(input);
    caller.enforce('write', projectId);
    const view = await this.dataSource.transaction(async (manager) => {
      await this.quotas.check(manager, projectId, 'router');
      const router = manager.create(RouterEntity, {
        id: randomUUID(),
        ...newStandardAttributes(projectId, input.description),
        name: input.name ?? '',
        adminStateUp: input.admin_state_up ?? true,
        status: 'ACTIVE',
        gatewayPortId: null,
        enableSnat: true,
        routes: [],
        availabilityZoneHints: input.availability_zone_hints ?? [],
      });
      await manager.insert(RouterEntity, router);
      const gatewayNetworkId = input.external_gateway_info?.network_id;
      if (gatewayNetworkId) {
        await this.setGateway(manager, caller, router, { ...input.external_gateway_info, network_id: gatewayNetworkId });
      }
      return onlyView(await this.views(manager, [router]));
    });
    await this.changes.committed([{ resource: 'router', action: 'create', view }]);
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'router', updateRouter);
    const view = await this.dataSource.transaction(async (manager) => {
      const router = await visibleRouter(manager, caller, id, { lock: true });
      caller.enforce('write', router.projectId);
      if (input.external_gateway_info !== undefined) {
        const networkId = input.external_gateway_info?.network_id;
        await this.clearGateway(manager, router, networkId);
        if (networkId) {
          await this.setGateway(manager, caller, router, { ...input.external_gateway_info, network_id: networkId });
        }
      }
      if (input.routes !== undefined) {
        router.routes = await this.checkRoutes(manager, router, input.routes ?? []);
      }
      Object.assign(router, { name: input.name ?? router.name, description: input.description ?? router.description, adminStateUp: input.admin_state_up ?? router.adminStateUp });
      await manager.save(touch(router));
      return onlyView(await this.views(manager, [router]));
    });
    await this.changes.committed([{ resource: 'router', action: 'update', view }]);
    return view;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const view = await this.dataSource.transaction(async (manager) => {
      const router = await visibleRouter(manager, caller, id, { lock: true });
      caller.enforce('write', router.projectId);
      if (await manager.existsBy(PortEntity, { deviceId: id, deviceOwner: 'network:router_interface' })) {
        throw conflict(`Router ${id} still has ports`, 'RouterInUse');
      }
      const shown = onlyView(await this.views(manager, [router]));
      await this.clearGateway(manager, router, undefined);
      await manager.delete(RouterEntity, { id });
      return shown;
    });
    await this.changes.committed([{ resource: 'router', action: 'delete', view }]);
  }

  /** `PUT /v2.0/routers/{id}/add_router_interface`: by subnet (a new port on its gateway IP) or by an existing port. */
  async addInterface(caller: Caller, id: string, body: unknown) {
    const input = this.interfaceInput(body);
    const { answer, changes } = await this.dataSource.transaction(async (manager) => {
      const router = await visibleRouter(manager, caller, id, { lock: true });
      caller.enforce('write', router.projectId);
      let port: PortEntity;
      if (input.port_id !== undefined) {
        port = await visiblePort(manager, caller, input.port_id, { lock: true });
        if (port.deviceId !== '' || port.deviceOwner !== '') {
          throw conflict(`Unable to complete operation on port ${port.id} for network ${port.networkId}. Port already has an attached device ${port.deviceId}.`, 'PortInUse');
        }
        const addresses = await manager.findBy(IpAllocationEntity, { portId: port.id });
        if (addresses.length === 0) {
          throw badRouterRequest(`Router port must have at least one fixed IP`);
        }
        for (const address of addresses) {
          await this.checkNewLeg(manager, router, await manager.findOneByOrFail(SubnetEntity, { id: address.subnetId }));
        }
        Object.assign(port, { deviceId: router.id, deviceOwner: 'network:router_interface' });
        await manager.save(touch(port));
      } else {
        const subnet = await visibleSubnet(manager, caller, input.subnet_id ?? '');
        if (subnet.gatewayIp === null) {
          throw badRouterRequest(`Subnet for router interface must have a gateway IP`);
        }
        await this.checkNewLeg(manager, router, subnet);
        const network = await visibleNetwork(manager, caller, subnet.networkId);
        port = await insertPort(manager, {
          network,
          projectId: router.projectId,
          deviceId: router.id,
          deviceOwner: 'network:router_interface',
          fixedIps: [{ subnet_id: subnet.id, ip_address: subnet.gatewayIp }],
          securityGroupIds: [],
          portSecurityEnabled: false,
        });
      }
      const subnetIds = (await manager.findBy(IpAllocationEntity, { portId: port.id })).map((ip) => ip.subnetId);
      const answer = { id: router.id, tenant_id: router.projectId, project_id: router.projectId, port_id: port.id, network_id: port.networkId, subnet_id: subnetIds[0], subnet_ids: subnetIds };
      const portChange: Change = { resource: 'port', action: input.port_id ? 'update' : 'create', view: await portViewOf(manager, port, true) };
      return { answer, changes: [portChange] };
    });
    await this.changes.committed(changes);
    return answer;
  }

  async removeInterface(caller: Caller, id: string, body: unknown) {
    const input = this.interfaceInput(body);
    const { answer, changes } = await this.dataSource.transaction(async (manager) => {
      const router = await visibleRouter(manager, caller, id, { lock: true });
      caller.enforce('write', router.projectId);
      const legs = await manager.findBy(PortEntity, { deviceId: router.id, deviceOwner: 'network:router_interface' });
      const addresses = legs.length === 0 ? [] : await manager.findBy(IpAllocationEntity, { portId: In(legs.map((leg) => leg.id)) });
      const port =
        input.port_id !== undefined
          ? legs.find((leg) => leg.id === input.port_id)
          : legs.find((leg) => addresses.some((address) => address.portId === leg.id && address.subnetId === input.subnet_id));
      if (!port) {
        throw input.port_id !== undefined
          ? notFound(`Router ${id} does not have an interface with id ${input.port_id}`, 'RouterInterfaceNotFound')
          : notFound(`Router ${id} has no interface on subnet ${input.subnet_id}`, 'RouterInterfaceNotFoundForSubnet');
      }
      const subnetIds = addresses.filter((address) => address.portId === port.id).map((address) => address.subnetId);
      if (await this.floatingIpsThrough(manager, router.id, subnetIds)) {
        throw conflict(`Cannot remove router interface from router ${id}: floating IPs on its subnets still need it.`, 'RouterInterfaceInUseByFloatingIP');
      }
      const view = await portViewOf(manager, port, true);
      await removePort(manager, port.id);
      const answer = { id: router.id, tenant_id: router.projectId, project_id: router.projectId, port_id: port.id, network_id: port.networkId, subnet_id: subnetIds[0], subnet_ids: subnetIds };
      return { answer, changes: [{ resource: 'port', action: 'delete', view } as Change] };
    });
    await this.changes.committed(changes);
    return answer;
  }

  private interfaceInput(body: unknown): { subnet_id?: string; port_id?: string } {
    const parsed = interfaceRequest.safeParse(body ?? {});
    if (!parsed.success) {
      throw invalidInput('body', 'subnet_id and port_id must be strings');
    }
    const { subnet_id, port_id } = parsed.data;
    if ((subnet_id === undefined) === (port_id === undefined)) {
      throw badRouterRequest('Either subnet_id or port_id must be specified');
    }
    return parsed.data;
  }

  /** A subnet may join a router once, and not overlap what the router already routes. */
  private async checkNewLeg(manager: EntityManager, router: RouterEntity, subnet: SubnetEntity): Promise<void> {
    const routed = await this.routedSubnets(manager, router.id);
    if (routed.some((other) => other.id === subnet.id)) {
      throw badRouterRequest(`Router already has a port on subnet ${subnet.id}`);
    }
    const cidr = cidrOf(subnet.cidr);
    const overlapping = routed.find((other) => cidrsOverlap(cidrOf(other.cidr), cidr));
    if (overlapping) {
      throw badRouterRequest(`Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${overlapping.cidr} of subnet ${overlapping.id}`);
    }
  }

  private async routedSubnets(manager: EntityManager, routerId: string): Promise<SubnetEntity[]> {
    const rows = (await manager.query(
      `SELECT DISTINCT a.subnet_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id WHERE p.device_id = $1 AND p.device_owner IN ('network:router_interface', 'network:router_gateway')`,
      [routerId],
    )) as { subnet_id: string }[];
    return rows.length === 0 ? [] : manager.findBy(SubnetEntity, { id: In(rows.map((row) => row.subnet_id)) });
  }

  /** Whether a floating IP goes through the router to a port with an address on one of these subnets. */
  private async floatingIpsThrough(manager: EntityManager, routerId: string, subnetIds: string[]): Promise<boolean> {
    const rows = (await manager.query(
      'SELECT 1 FROM floatingips f JOIN ip_allocations a ON a.port_id = f.fixed_port_id WHERE f.router_id = $1 AND a.subnet_id = ANY($2) LIMIT 1',
      [routerId, subnetIds],
    )) as unknown[];
    return rows.length > 0;
  }


  /** Plugs the router into an external network: a gateway port with an address on it (those asked for, by an admin). */
  private async setGateway(manager: EntityManager, caller: Caller, router: RouterEntity, info: z.infer<typeof gatewayInfo> & { network_id: string }): Promise<void> {
    const network: NetworkEntity = await visibleNetwork(manager, caller, info.network_id);
    if (!network.external) {
      throw badRouterRequest(`Network ${network.id} is not an external network`);
    }
    if (info.enable_snat !== undefined && info.enable_snat !== router.enableSnat) {
      caller.enforce('router:enable_snat');
    }
    if (info.external_fixed_ips !== undefined) {
      caller.enforce('router:external_fixed_ips');
    }
    router.enableSnat = info.enable_snat ?? true;
    if (router.gatewayPortId) {
      return;
    }
    const port = await insertPort(manager, {
      network,
      projectId: '',
      deviceId: router.id,
      deviceOwner: 'network:router_gateway',
      fixedIps: info.external_fixed_ips,
      securityGroupIds: [],
      portSecurityEnabled: false,
    });
    router.gatewayPortId = port.id;
    await manager.save(router);
  }

  /** Unplugs the gateway unless it stays on the same network; floating IPs through it keep it. */
  private async clearGateway(manager: EntityManager, router: RouterEntity, keepNetworkId: string | undefined): Promise<void> {
    if (!router.gatewayPortId) {
      return;
    }
    const port = await manager.findOneByOrFail(PortEntity, { id: router.gatewayPortId });
    if (port.networkId === keepNetworkId) {
      return;
    }
    if (await manager.existsBy(FloatingIpEntity, { routerId: router.id })) {
      throw conflict(`Gateway cannot be updated for router ${router.id}, since a gateway to external network ${port.networkId} is required by one or more floating IPs.`, 'RouterExternalGatewayInUseByFloatingIp');
    }
    router.gatewayPortId = null;
    await manager.save(router);
    await removePort(manager, port.id);
  }

  /** Extra routes: each next hop must sit on a subnet the router is plugged into. */
  private async checkRoutes(manager: EntityManager, router: RouterEntity, routes: { destination: string; nexthop: string }[]) {
    const routed = await this.routedSubnets(manager, router.id);
    for (const entry of routes) {
      const destination = parseCidr(entry.destination);
      const nexthop = parseAddress(entry.nexthop);
      if (!destination || destination.hostBits || !nexthop) {
        throw invalidInput('routes', `Invalid data format for hostroute: '${JSON.stringify(entry)}'`);
      }
      if (!routed.some((subnet) => cidrContains(cidrOf(subnet.cidr), nexthop))) {
        throw badRequest(`Invalid format for routes: ${JSON.stringify(routes)}, the nexthop is not connected with router`, 'InvalidRoutes');
      }
    }
    return routes;
  }

  async views(manager: EntityManager, routers: RouterEntity[]) {
    const gatewayIds = routers.map((router) => router.gatewayPortId).filter((id): id is string => id !== null);
    const gateways = gatewayIds.length === 0 ? [] : await manager.findBy(PortEntity, { id: In(gatewayIds) });
    const addresses = gatewayIds.length === 0 ? [] : await manager.findBy(IpAllocationEntity, { portId: In(gatewayIds) });
    const zones = await this.agents.availabilityZones('router', manager);
    return routers.map((router) => {
      const port = gateways.find((gateway) => gateway.id === router.gatewayPortId);
      return routerView(router, port && { port, addresses: addresses.filter((address) => address.portId === port.id) }, zones);
    });
  }
}
