import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type NetworkType } from '@overcast/network/contracts';
import { IpAllocationEntity, NetworkEntity, PortEntity, SubnetEntity } from '@overcast/network/data-access';
import { conflict } from '@overcast/shared/core';
import { isUniqueViolation } from '@overcast/shared/db';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In, Not } from 'typeorm';
import { z } from 'zod';
import { visibleNetwork } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed } from '../common/changes';
import { listPage, type ListPage } from '../common/neutron-list';
import { integerInput, invalidInput, invalidOperation, resourceBody } from '../common/request-body';
import { newStandardAttributes, touch, onlyView } from '../common/standard-view';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { QuotasService } from '../quotas/quotas.service';
import { AgentsService } from '../agents/agents.service';
import { NETWORK_SORT_KEYS, networkView } from './network-view';

const name = z.string().max(255);
const description = z.string().max(255);
const networkFields = {
  name: name.optional(),
  description: description.optional(),
  admin_state_up: z.boolean().optional(),
  shared: z.boolean().optional(),
  'router:external': z.boolean().optional(),
  port_security_enabled: z.boolean().optional(),
  mtu: integerInput().refine((mtu) => mtu >= 68, 'the MTU must be 68 or more').optional(),
};
const createNetwork = z.object({
  ...networkFields,
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
  'provider:network_type': z.enum(['flat', 'vxlan', 'vlan', 'local']).optional(),
  'provider:physical_network': z.string().min(1).max(64).nullable().optional(),
  'provider:segmentation_id': integerInput().nullable().optional(),
  availability_zone_hints: z.array(z.string().max(255)).optional(),
});
const updateNetwork = z.object(networkFields);

/** Neutron's NetworkInUse. */
const networkInUse = (id: string) => conflict(`Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`, 'NetworkInUse');

/** Ports that go with their network: Neutron deletes DHCP ports itself rather than refusing. */
const AUTO_DELETED_OWNERS = ['network:dhcp'];

@Injectable()
export class NetworksService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
    private readonly agents: AgentsService,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const networks = caller.isAdmin
      ? await this.dataSource.manager.find(NetworkEntity)
      : await this.dataSource.manager.find(NetworkEntity, { where: [{ projectId: caller.projectId }, { shared: true }, { external: true }] });
    const views = await this.views(this.dataSource.manager, networks, caller.isAdmin);
    return listPage(views, query, { url, maxLimit: this.settings.maxPageSize, sortable: NETWORK_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    const network = await visibleNetwork(this.dataSource.manager, caller, id);
    return (await this.views(this.dataSource.manager, [network], caller.isAdmin))[0];
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'network', createNetwork);
    const projectId = caller.ownerFor(input);
    if (input.shared !== undefined && input.shared) {
      caller.enforce('create_network:shared');
    }
    if (input['router:external']) {
      caller.enforce('create_network:router:external');
    }
    const providerGiven = input['provider:network_type'] !== undefined || (input['provider:physical_network'] ?? null) !== null || (input['provider:segmentation_id'] ?? null) !== null;
    if (providerGiven) {
      caller.enforce('create_network:provider');
    }
    const network = await this.transaction(async (manager) => {
      caller.enforce('write', projectId);
      await this.quotas.check(manager, projectId, 'network');
      const segment = await this.segment(manager, input);
      const maxMtu = segment.networkType === 'vxlan' ? this.settings.physicalMtu - 50 : this.settings.physicalMtu;
      if (input.mtu !== undefined && input.mtu > maxMtu) {
        throw invalidOperation(`Requested MTU is too big, maximum is ${maxMtu}`);
      }
      return manager.save(
        manager.create(NetworkEntity, {
          id: randomUUID(),
          ...newStandardAttributes(projectId, input.description),
          name: input.name ?? '',
          adminStateUp: input.admin_state_up ?? true,
          status: 'ACTIVE',
          shared: input.shared ?? false,
          external: input['router:external'] ?? false,
          ...segment,
          mtu: input.mtu ?? maxMtu,
          portSecurityEnabled: input.port_security_enabled ?? true,
          availabilityZoneHints: input.availability_zone_hints ?? [],
        }),
      );
    });
    const view = onlyView(await this.views(this.dataSource.manager, [network], caller.isAdmin));
    await this.changes.committed([{ resource: 'network', action: 'create', view }], { wiring: false });
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'network', updateNetwork);
    const network = await this.transaction(async (manager) => {
      const current = await visibleNetwork(manager, caller, id, { lock: true });
      caller.enforce('write', current.projectId);
      if (input.shared !== undefined && input.shared !== current.shared) {
        caller.enforce('create_network:shared');
        if (!input.shared && (await manager.existsBy(PortEntity, { networkId: id, projectId: Not(current.projectId) }))) {
          throw conflict(`Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`, 'InvalidSharedSetting');
        }
      }
      if (input['router:external'] !== undefined && input['router:external'] !== current.external) {
        caller.enforce('create_network:router:external');
      }
      const maxMtu = current.networkType === 'vxlan' ? this.settings.physicalMtu - 50 : this.settings.physicalMtu;
      if (input.mtu !== undefined && input.mtu > maxMtu) {
        throw invalidOperation(`Requested MTU is too big, maximum is ${maxMtu}`);
      }
      Object.assign(current, {
        name: input.name ?? current.name,
        description: input.description ?? current.description,
        adminStateUp: input.admin_state_up ?? current.adminStateUp,
        shared: input.shared ?? current.shared,
        external: input['router:external'] ?? current.external,
        portSecurityEnabled: input.port_security_enabled ?? current.portSecurityEnabled,
        mtu: input.mtu ?? current.mtu,
      });
      return manager.save(touch(current));
    });
    const view = onlyView(await this.views(this.dataSource.manager, [network], caller.isAdmin));
    await this.changes.committed([{ resource: 'network', action: 'update', view }]);
    return view;
  }

  /** Deletes a network with its subnets and DHCP ports; any other port keeps it (NetworkInUse). */
  async delete(caller: Caller, id: string): Promise<void> {
    const view = await this.transaction(async (manager) => {
      const network = await visibleNetwork(manager, caller, id, { lock: true });
      caller.enforce('write', network.projectId);
      if (await manager.existsBy(PortEntity, { networkId: id, deviceOwner: Not(In(AUTO_DELETED_OWNERS)) })) {
        throw networkInUse(id);
      }
      const shown = onlyView(await this.views(manager, [network], true));
      await manager.delete(IpAllocationEntity, { networkId: id });
      await manager.delete(PortEntity, { networkId: id });
      await manager.delete(SubnetEntity, { networkId: id });
      await manager.delete(NetworkEntity, { id });
      return shown;
    });
    await this.changes.committed([{ resource: 'network', action: 'delete', view }]);
  }

  /** Network views with their subnet ids, in one query for all of them. */
  async views(manager: EntityManager, networks: NetworkEntity[], isAdmin: boolean) {
    const subnets = networks.length === 0 ? [] : await manager.find(SubnetEntity, { select: { id: true, networkId: true }, where: { networkId: In(networks.map((network) => network.id)) }, order: { createdAt: 'ASC' } });
    const zones = await this.agents.availabilityZones('network', manager);
    return networks.map((network) =>
      networkView(
        network,
        subnets.filter((subnet) => subnet.networkId === network.id).map((subnet) => subnet.id),
        zones,
        isAdmin,
      ),
    );
  }

  /** The segment a new network gets: the admin's provider attributes, or a tenant network of the configured type. */
  private async segment(manager: EntityManager, input: z.infer<typeof createNetwork>): Promise<{ networkType: NetworkType; physicalNetwork: string | null; segmentationId: number | null }> {
    const type = input['provider:network_type'] ?? (input['provider:physical_network'] ? 'flat' : this.settings.tenantNetworkType);
    const physnet = input['provider:physical_network'] ?? null;
    const requested = input['provider:segmentation_id'] ?? null;
    switch (type) {
      case 'flat':
        if (!physnet) {
          throw invalidOperation('physical_network required for flat provider network');
        }
        if (requested !== null) {
          throw invalidOperation('segmentation_id specified for flat provider network');
        }
        return { networkType: 'flat', physicalNetwork: physnet, segmentationId: null };
      case 'vlan':
        if (!physnet) {
          throw invalidOperation('physical_network required for VLAN provider network');
        }
        if (requested === null || requested < 1 || requested > 4094) {
          throw invalidOperation('provider:segmentation_id out of range (1 through 4094)');
        }
        return { networkType: 'vlan', physicalNetwork: physnet, segmentationId: requested };
      case 'vxlan':
        if (physnet) {
          throw invalidOperation('provider:physical_network specified for VXLAN network');
        }
        if (requested !== null && (requested < 1 || requested > 16_777_215)) {
          throw invalidInput('provider:segmentation_id', `${requested} is not a valid VXLAN VNI, valid range is 1 to 16777215`);
        }
        return { networkType: 'vxlan', physicalNetwork: null, segmentationId: requested ?? (await this.freeVni(manager)) };
      case 'local':
        if (physnet || requested !== null) {
          throw invalidOperation('provider:physical_network and provider:segmentation_id are not allowed for a local network');
        }
        return { networkType: 'local', physicalNetwork: null, segmentationId: null };
    }
  }

  /** The lowest VNI of the tenant range no network has; the lock makes concurrent creates take turns. */
  private async freeVni(manager: EntityManager): Promise<number> {
    await manager.query("SELECT pg_advisory_xact_lock(hashtext('overcast-network-vni'))");
    const [row] = (await manager.query(
      `SELECT candidate FROM (SELECT $1::int AS candidate UNION SELECT segmentation_id + 1 FROM networks WHERE network_type = 'vxlan' AND segmentation_id BETWEEN $1 AND $2) c
       WHERE candidate <= $2 AND NOT EXISTS (SELECT 1 FROM networks n WHERE n.network_type = 'vxlan' AND n.segmentation_id = c.candidate)
       ORDER BY candidate LIMIT 1`,
      [this.settings.vniMin, this.settings.vniMax],
    )) as { candidate: number }[];
    if (!row) {
      throw conflict('Unable to create the network. No tenant network is available for allocation.', 'NoNetworkAvailable');
    }
    return row.candidate;
  }

  /** A transaction whose segment conflicts (the same VNI, VLAN or flat physnet taken) are Neutron's 409s. */
  private async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict('Unable to create the network. The physical network or segmentation id is in use.', 'SegmentInUse');
      }
      throw error;
    }
  }
}
