import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type DhcpSpec,
  type HostState,
  type NetworkSegment,
  type PortSpec,
  type RouterSpec,
  type SecurityGroupSpec,
  type SubnetSpec,
  type TunnelPeer,
} from '@overcast/network/contracts';
import {
  FloatingIpEntity,
  IpAllocationEntity,
  NetworkEntity,
  PortEntity,
  PortSecurityGroupEntity,
  RouterEntity,
  SecurityGroupRuleEntity,
  SubnetEntity,
} from '@overcast/network/data-access';
import { DataSource, type EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { groupBy } from '../common/group-by';

/** Everything a host's state is computed from, read in one transaction so it is consistent. */
interface Snapshot {
  networks: Map<string, NetworkEntity>;
  subnets: SubnetEntity[];
  ports: PortEntity[];
  addresses: Map<string, IpAllocationEntity[]>;
  portGroups: PortSecurityGroupEntity[];
  /** port id → its security groups, computed once: a host's state reads it for every port. */
  groupsOfPort: Map<string, string[]>;
  routers: RouterEntity[];
  floatingIps: FloatingIpEntity[];
  rules: SecurityGroupRuleEntity[];
}

/** A port's network, which the snapshot holds: ports reference their network by a foreign key. */
function networkOf(snapshot: Snapshot, id: string): NetworkEntity {
  const network = snapshot.networks.get(id);
  if (!network) {
    throw new Error(`network ${id} missing from the snapshot`);
  }
  return network;
}

const isInstancePort = (port: PortEntity) => !port.deviceOwner.startsWith('network:');

/**
 * Computes what one host's wiring should be (the HostState its agent applies): the instance ports
 * bound to it, the DHCP servers bound to it, the routers when it is the L3 host, and everything
 * those need (segments, subnets, security groups with their members, tunnel peers).
 */
@Injectable()
export class HostStateService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
  ) {}

  async stateOf(host: string): Promise<HostState> {
    const working = await this.agents.working();
    const l3Host = this.agents.hostFor('l3', working);
    const snapshot = await this.dataSource.transaction('REPEATABLE READ', (manager) => this.snapshot(manager));
    const local = this.localResources(snapshot, host, l3Host);
    const rules = snapshot.rules;
    const groupIds = new Set(local.ports.flatMap((port) => snapshot.groupsOfPort.get(port.id) ?? []));
    for (const rule of rules) {
      if (groupIds.has(rule.securityGroupId) && rule.remoteGroupId) {
        groupIds.add(rule.remoteGroupId);
      }
    }
    const tunnelPeers: TunnelPeer[] = working
      .filter((agent) => agent.host !== host && typeof agent.configurations['tunnel_ip'] === 'string')
      .map((agent) => ({
        host: agent.host,
        ip: agent.configurations['tunnel_ip'] as string,
        segmentationIds: [...this.localResources(snapshot, agent.host, l3Host).networkIds].flatMap((id) => {
          const network = snapshot.networks.get(id);
          return network?.networkType === 'vxlan' && network.segmentationId !== null ? [network.segmentationId] : [];
        }),
      }));
    return {
      host,
      networks: [...local.networkIds].map((id) => this.segment(networkOf(snapshot, id))),
      ports: local.ports.map((port) => this.portSpec(snapshot, port)),
      dhcp: local.dhcpPorts.map((port) => this.dhcpSpec(snapshot, port)),
      routers: local.routers.map((router) => this.routerSpec(snapshot, router)),
      securityGroups: [...groupIds].map((id) => this.groupSpec(snapshot, rules, id)),
      tunnelPeers,
    };
  }

  private async snapshot(manager: EntityManager): Promise<Snapshot> {
    const addresses = groupBy(await manager.find(IpAllocationEntity, { order: { ipAddress: 'ASC' } }), (address) => address.portId);
    const portGroups = await manager.find(PortSecurityGroupEntity);
    return {
      networks: new Map((await manager.find(NetworkEntity)).map((network) => [network.id, network])),
      subnets: await manager.find(SubnetEntity),
      ports: await manager.find(PortEntity),
      addresses,
      portGroups,
      groupsOfPort: new Map([...groupBy(portGroups, (link) => link.portId)].map(([portId, links]) => [portId, links.map((link) => link.securityGroupId)])),
      routers: await manager.find(RouterEntity),
      floatingIps: await manager.find(FloatingIpEntity),
      rules: await manager.find(SecurityGroupRuleEntity),
    };
  }

  /** What lives on a host: its bound instance ports, its DHCP ports, the routers if it is the L3 host, and their networks. */
  private localResources(snapshot: Snapshot, host: string, l3Host: string | undefined) {
    const ports = snapshot.ports.filter((port) => port.bindingHostId === host && isInstancePort(port));
    const dhcpPorts = snapshot.ports.filter((port) => port.bindingHostId === host && port.deviceOwner === 'network:dhcp');
    const routers = host === l3Host ? snapshot.routers : [];
    const routerPorts = snapshot.ports.filter((port) => routers.some((router) => router.id === port.deviceId) && (port.deviceOwner === 'network:router_interface' || port.deviceOwner === 'network:router_gateway'));
    const networkIds = new Set([...ports, ...dhcpPorts, ...routerPorts].map((port) => port.networkId));
    return { ports, dhcpPorts, routers, routerPorts, networkIds };
  }

  private segment(network: NetworkEntity): NetworkSegment {
    return {
      networkId: network.id,
      networkType: network.networkType,
      ...(network.physicalNetwork ? { physicalNetwork: network.physicalNetwork } : {}),
      ...(network.segmentationId !== null ? { segmentationId: network.segmentationId } : {}),
      mtu: network.mtu,
    };
  }

  private subnetSpec(subnet: SubnetEntity): SubnetSpec {
    return {
      id: subnet.id,
      networkId: subnet.networkId,
      ipVersion: subnet.ipVersion,
      cidr: subnet.cidr,
      gatewayIp: subnet.gatewayIp,
      enableDhcp: subnet.enableDhcp,
      dnsNameservers: subnet.dnsNameservers,
      hostRoutes: subnet.hostRoutes,
      // The API admits only Neutron's three modes (or none) into these columns.
      ...(subnet.ipv6RaMode !== null ? { ipv6RaMode: subnet.ipv6RaMode as NonNullable<SubnetSpec['ipv6RaMode']> } : {}),
      ...(subnet.ipv6AddressMode !== null ? { ipv6AddressMode: subnet.ipv6AddressMode as NonNullable<SubnetSpec['ipv6AddressMode']> } : {}),
    };
  }

  private portSpec(snapshot: Snapshot, port: PortEntity): PortSpec {
    const namespace = port.bindingProfile['netns'];
    return {
      id: port.id,
      networkId: port.networkId,
      macAddress: port.macAddress,
      fixedIps: (snapshot.addresses.get(port.id) ?? []).map((ip) => ({ subnetId: ip.subnetId, ipAddress: ip.ipAddress })),
      adminStateUp: port.adminStateUp,
      portSecurityEnabled: port.portSecurityEnabled,
      securityGroupIds: snapshot.groupsOfPort.get(port.id) ?? [],
      allowedAddressPairs: port.allowedAddressPairs.map((pair) => ({ ipAddress: pair.ip_address, macAddress: pair.mac_address })),
      device: typeof namespace === 'string' && namespace !== '' ? { kind: 'veth', namespace } : { kind: 'tap' },
    };
  }

  private dhcpSpec(snapshot: Snapshot, dhcpPort: PortEntity): DhcpSpec {
    const network = networkOf(snapshot, dhcpPort.networkId);
    const subnets = snapshot.subnets.filter((subnet) => subnet.networkId === network.id && subnet.enableDhcp);
    const hosts = snapshot.ports
      .filter((port) => port.networkId === network.id && port.id !== dhcpPort.id)
      .flatMap((port) =>
        (snapshot.addresses.get(port.id) ?? [])
          .filter((ip) => subnets.some((subnet) => subnet.id === ip.subnetId))
          .map((ip) => ({ macAddress: port.macAddress, ipAddress: ip.ipAddress, hostname: `host-${ip.ipAddress.replace(/[.:]/g, '-')}` })),
      );
    return { network: this.segment(network), port: this.portSpec(snapshot, dhcpPort), subnets: subnets.map((subnet) => this.subnetSpec(subnet)), hosts };
  }

  private routerSpec(snapshot: Snapshot, router: RouterEntity): RouterSpec {
    const leg = (port: PortEntity) => {
      const subnetIds = new Set((snapshot.addresses.get(port.id) ?? []).map((ip) => ip.subnetId));
      return {
        network: this.segment(networkOf(snapshot, port.networkId)),
        port: this.portSpec(snapshot, port),
        subnets: snapshot.subnets.filter((subnet) => subnetIds.has(subnet.id)).map((subnet) => this.subnetSpec(subnet)),
      };
    };
    const gatewayPort = snapshot.ports.find((port) => port.id === router.gatewayPortId);
    return {
      id: router.id,
      adminStateUp: router.adminStateUp,
      ...(gatewayPort ? { gateway: { ...leg(gatewayPort), enableSnat: router.enableSnat } } : {}),
      interfaces: snapshot.ports.filter((port) => port.deviceId === router.id && port.deviceOwner === 'network:router_interface').map(leg),
      routes: router.routes,
      floatingIps: snapshot.floatingIps
        .flatMap((floatingIp) =>
          floatingIp.routerId === router.id && floatingIp.fixedIpAddress !== null ? [{ id: floatingIp.id, floatingIpAddress: floatingIp.floatingIpAddress, fixedIpAddress: floatingIp.fixedIpAddress }] : [],
        ),
    };
  }

  private groupSpec(snapshot: Snapshot, rules: SecurityGroupRuleEntity[], groupId: string): SecurityGroupSpec {
    const memberPorts = new Set(snapshot.portGroups.flatMap((link) => (link.securityGroupId === groupId ? [link.portId] : [])));
    const memberIps = snapshot.ports
      .filter((port) => memberPorts.has(port.id))
      .flatMap((port) => [...(snapshot.addresses.get(port.id) ?? []).map((ip) => ip.ipAddress), ...port.allowedAddressPairs.map((pair) => pair.ip_address)]);
    return {
      id: groupId,
      rules: rules
        .filter((rule) => rule.securityGroupId === groupId)
        .map((rule) => ({
          id: rule.id,
          direction: rule.direction,
          ethertype: rule.ethertype,
          ...(rule.protocol !== null ? { protocol: rule.protocol } : {}),
          ...(rule.portRangeMin !== null ? { portRangeMin: rule.portRangeMin } : {}),
          ...(rule.portRangeMax !== null ? { portRangeMax: rule.portRangeMax } : {}),
          ...(rule.remoteIpPrefix !== null ? { remoteIpPrefix: rule.remoteIpPrefix } : {}),
          ...(rule.remoteGroupId !== null ? { remoteGroupId: rule.remoteGroupId } : {}),
        })),
      memberIps,
    };
  }
}
