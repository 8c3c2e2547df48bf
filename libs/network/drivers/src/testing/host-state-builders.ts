import { type SimulatedHost } from '@overcast/shared/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { HostCommands } from '../host/host-commands';
import {
  type HostState,
  type NetworkSegment,
  type PortSpec,
  type SecurityGroupRuleSpec,
  type SecurityGroupSpec,
  type SubnetSpec,
} from '@overcast/network/contracts';

/** Small builders for hand-written HostStates in data-plane tests; every id is a fresh UUID. */

export function vxlanNetwork(vni: number): NetworkSegment {
  return { networkId: randomUUID(), networkType: 'vxlan', segmentationId: vni, mtu: 1450 };
}

export function flatNetwork(physicalNetwork: string): NetworkSegment {
  return { networkId: randomUUID(), networkType: 'flat', physicalNetwork, mtu: 1500 };
}

export function subnetOf(network: NetworkSegment, cidr: string, gatewayIp: string | null, extra: Partial<SubnetSpec> = {}): SubnetSpec {
  return { id: randomUUID(), networkId: network.networkId, ipVersion: 4, cidr, gatewayIp, enableDhcp: true, dnsNameservers: [], hostRoutes: [], ...extra };
}

export function randomMac(): string {
  return `fa:16:3e:${[...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;
}

/** A port with one fixed IP; `namespace` makes it a veth into that namespace, otherwise a tap. */
export function portOn(subnet: SubnetSpec, ipAddress: string, options: Partial<PortSpec> & { namespace?: string } = {}): PortSpec {
  const { namespace, ...overrides } = options;
  return {
    id: randomUUID(),
    networkId: subnet.networkId,
    macAddress: randomMac(),
    fixedIps: [{ subnetId: subnet.id, ipAddress }],
    adminStateUp: true,
    portSecurityEnabled: false,
    securityGroupIds: [],
    allowedAddressPairs: [],
    device: namespace === undefined ? { kind: 'tap' } : { kind: 'veth', namespace },
    ...overrides,
  };
}

export function rule(direction: SecurityGroupRuleSpec['direction'], extra: Partial<SecurityGroupRuleSpec> = {}): SecurityGroupRuleSpec {
  return { id: randomUUID(), direction, ethertype: 'IPv4', ...extra };
}

/** Neutron's default group: all egress, and ingress from the group's own members (IPv4 and IPv6). */
export function defaultGroup(memberIps: string[] = []): SecurityGroupSpec {
  const id = randomUUID();
  return {
    id,
    rules: [rule('egress'), rule('ingress', { remoteGroupId: id }), rule('egress', { ethertype: 'IPv6' }), rule('ingress', { ethertype: 'IPv6', remoteGroupId: id })],
    memberIps,
  };
}

/** The options that put a port behind its security groups. */
export function securedBy(...groups: SecurityGroupSpec[]): Partial<PortSpec> {
  return { portSecurityEnabled: true, securityGroupIds: groups.map(({ id }) => id) };
}

export function hostState(host: string, parts: Partial<HostState>): HostState {
  return { host, networks: [], ports: [], dhcp: [], routers: [], securityGroups: [], tunnelPeers: [], ...parts };
}

/** The DHCP host entry of a port, as the server would list it. */
export function dhcpHost(port: PortSpec): { macAddress: string; ipAddress: string; hostname: string } {
  const ipAddress = port.fixedIps[0]?.ipAddress ?? '';
  return { macAddress: port.macAddress, ipAddress, hostname: `host-${ipAddress.replace(/\./g, '-')}` };
}

/** The commands a driver runs on a simulated host: inside its namespace. */
export const hostCommands = (host: SimulatedHost) => new HostCommands(host.namespace);
