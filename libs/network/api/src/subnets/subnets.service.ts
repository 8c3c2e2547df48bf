import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IpAllocationEntity, NetworkEntity, PortEntity, SubnetEntity } from '@overcast/network/data-access';
import { conflict } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { z } from 'zod';
import { visibleNetwork, visibleSubnet } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed, type Change } from '../common/changes';
import { cidrOf, cidrsOverlap } from '../common/ip-math';
import { listPage, type ListPage } from '../common/neutron-list';
import { invalidOperation, resourceBody } from '../common/request-body';
import { newStandardAttributes, touch } from '../common/standard-view';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { DhcpPorts } from '../ports/dhcp-ports';
import { isAutoAddressSubnet, lockSubnets } from '../ports/ipam';
import { savePortUpdate } from '../ports/port-writer';
import { QuotasService } from '../quotas/quotas.service';
import { prefixLengthInput, SubnetPoolsService } from '../subnetpools/subnetpools.service';
import { planSubnet } from './subnet-plan';
import { SUBNET_SORT_KEYS, subnetView } from './subnet-view';

const pool = z.object({ start: z.string(), end: z.string() }).strict();
const route = z.object({ destination: z.string(), nexthop: z.string() }).strict();
const ipv6Mode = z.enum(['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless']).nullable().optional();
const changeable = {
  name: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  gateway_ip: z.string().nullable().optional(),
  enable_dhcp: z.boolean().optional(),
  allocation_pools: z.array(pool).optional(),
  dns_nameservers: z.array(z.string()).max(5).optional(),
  host_routes: z.array(route).max(20).optional(),
};
const createSubnet = z.object({
  ...changeable,
  network_id: z.string(),
  ip_version: z.union([z.literal(4), z.literal(6), z.literal('4').transform(() => 4 as const), z.literal('6').transform(() => 6 as const)]),
  cidr: z.string().optional(),
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
  ipv6_address_mode: ipv6Mode,
  ipv6_ra_mode: ipv6Mode,
  subnetpool_id: z.string().nullable().optional(),
  prefixlen: prefixLengthInput().optional(),
});
const updateSubnet = z.object(changeable);

/** The ports that make a subnet undeletable whatever its address mode (neutron_lib.constants.ROUTER_INTERFACE_OWNERS). */
const ROUTER_INTERFACE_OWNERS = ['network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed'];

const subnetInUse = (id: string) => conflict(`Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`, 'SubnetInUse');

@Injectable()
export class SubnetsService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
    private readonly dhcpPorts: DhcpPorts,
    private readonly subnetPools: SubnetPoolsService,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const subnets = caller.isAdmin
      ? await this.dataSource.manager.find(SubnetEntity)
      : await this.dataSource.manager
          .createQueryBuilder(SubnetEntity, 's')
          .innerJoin(NetworkEntity, 'n', 'n.id = s.network_id')
          .where('s.project_id = :project OR n.shared', { project: caller.projectId })
          .getMany();
    return listPage(subnets.map(subnetView), query, { url, maxLimit: this.settings.maxPageSize, sortable: SUBNET_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    return subnetView(await visibleSubnet(this.dataSource.manager, caller, id));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'subnet', createSubnet);
    this.checkIpv6Modes(input.ip_version, input.ipv6_address_mode ?? null, input.ipv6_ra_mode ?? null);
    const id = randomUUID();
    const subnet = await this.dataSource.transaction(async (manager) => {
      const network = await visibleNetwork(manager, caller, input.network_id, { lock: true });
      const projectId = (input.project_id ?? input.tenant_id) === undefined ? network.projectId : caller.ownerFor(input);
      if (network.projectId !== caller.projectId) {
        caller.enforce('context_is_admin');
      }
      caller.enforce('write', projectId);
      await this.quotas.check(manager, projectId, 'subnet');
      const subnetpoolId = input.subnetpool_id ?? null;
      const cidr = await this.subnetPools.cidrFor(manager, caller, { subnetpoolId, ipVersion: input.ip_version, cidr: input.cidr, prefixlen: input.prefixlen, allocationPools: input.allocation_pools });
      const plan = planSubnet(
        { ipVersion: input.ip_version, cidr, gatewayIp: input.gateway_ip, allocationPools: input.allocation_pools, dnsNameservers: input.dns_nameservers, hostRoutes: input.host_routes },
        id,
      );
      const others = await manager.findBy(SubnetEntity, { networkId: network.id });
      if (others.some((other) => cidrsOverlap(cidrOf(other.cidr), plan.cidr))) {
        throw invalidOperation(`Requested subnet with cidr: ${plan.cidrText} for network: ${network.id} overlaps with another subnet`);
      }
      return manager.save(
        manager.create(SubnetEntity, {
          id,
          ...newStandardAttributes(projectId, input.description),
          name: input.name ?? '',
          networkId: network.id,
          ipVersion: input.ip_version,
          cidr: plan.cidrText,
          gatewayIp: plan.gatewayIp,
          enableDhcp: input.enable_dhcp ?? true,
          allocationPools: plan.allocationPools,
          dnsNameservers: plan.dnsNameservers,
          hostRoutes: plan.hostRoutes,
          ipv6AddressMode: input.ipv6_address_mode ?? null,
          ipv6RaMode: input.ipv6_ra_mode ?? null,
          subnetpoolId,
        }),
      );
    });
    await this.dhcpPorts.reconcile(subnet.networkId);
    const view = subnetView(subnet);
    await this.changes.committed([{ resource: 'subnet', action: 'create', view }]);
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'subnet', updateSubnet);
    const subnet = await this.dataSource.transaction(async (manager) => {
      const current = await visibleSubnet(manager, caller, id);
      caller.enforce('write', current.projectId);
      const plan = planSubnet(
        {
          ipVersion: current.ipVersion,
          cidr: current.cidr,
          gatewayIp: input.gateway_ip === undefined ? current.gatewayIp : input.gateway_ip,
          allocationPools: input.allocation_pools ?? current.allocationPools,
          dnsNameservers: input.dns_nameservers ?? current.dnsNameservers,
          hostRoutes: input.host_routes ?? current.hostRoutes,
        },
        id,
      );
      Object.assign(current, {
        name: input.name ?? current.name,
        description: input.description ?? current.description,
        gatewayIp: plan.gatewayIp,
        enableDhcp: input.enable_dhcp ?? current.enableDhcp,
        allocationPools: plan.allocationPools,
        dnsNameservers: plan.dnsNameservers,
        hostRoutes: plan.hostRoutes,
      });
      return manager.save(touch(current));
    });
    await this.dhcpPorts.reconcile(subnet.networkId);
    const view = subnetView(subnet);
    await this.changes.committed([{ resource: 'subnet', action: 'update', view }]);
    return view;
  }

  /**
   * Deletes a subnet, as Neutron's delete_subnet (`_remove_subnet_ip_allocations_from_ports`): never
   * while a router interface is on it; on an IPv4 or DHCPv6-stateful subnet only the DHCP server may
   * hold an address; on a SLAAC or DHCPv6-stateless one, every other port loses its address there and
   * keeps the rest, and its listeners hear of it as of a port update.
   */
  async delete(caller: Caller, id: string): Promise<void> {
    const { subnet, portChanges } = await this.dataSource.transaction(async (manager) => {
      const current = await visibleSubnet(manager, caller, id);
      caller.enforce('write', current.projectId);
      // No address is allocated on a locked subnet; the ports holding one are locked next, and asked
      // again which still do (one may have let its address go, or been deleted, in the meantime).
      await lockSubnets(manager, [id]);
      const holding = async () => new Set((await manager.findBy(IpAllocationEntity, { subnetId: id })).map((ip) => ip.portId));
      const candidates = [...(await holding())];
      const locked = candidates.length === 0 ? [] : await manager.find(PortEntity, { where: { id: In(candidates) }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
      const stillHolding = await holding();
      const holders = locked.filter((port) => stillHolding.has(port.id));
      if (holders.some((port) => ROUTER_INTERFACE_OWNERS.includes(port.deviceOwner))) {
        throw subnetInUse(id);
      }
      const losing = holders.filter((port) => port.deviceOwner !== 'network:dhcp');
      if (losing.length > 0 && !isAutoAddressSubnet(current)) {
        throw subnetInUse(id);
      }
      await manager.delete(IpAllocationEntity, { subnetId: id });
      const portChanges: Change[] = [];
      for (const port of losing) {
        portChanges.push(await savePortUpdate(manager, port));
      }
      await manager.delete(SubnetEntity, { id });
      return { subnet: current, portChanges };
    });
    await this.dhcpPorts.reconcile(subnet.networkId);
    await this.changes.committed([...portChanges, { resource: 'subnet', action: 'delete', view: subnetView(subnet) }]);
  }

  private checkIpv6Modes(ipVersion: 4 | 6, addressMode: string | null, raMode: string | null): void {
    if (ipVersion === 4 && (addressMode !== null || raMode !== null)) {
      throw invalidOperation('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4');
    }
    if (addressMode !== null && raMode !== null && addressMode !== raMode) {
      throw invalidOperation(`ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addressMode}' is not valid. If both attributes are set, they must be the same value`);
    }
  }
}
