/**
 * What one host's network wiring should be, as the network service computes it for the agent
 * there. The agent makes the host match it (creating what is missing, removing what is no longer
 * wanted), so the same message serves a change, a start-up and a recovery after a crash.
 * Version 1.0.
 */

export type NetworkType = 'flat' | 'vxlan' | 'vlan' | 'local';

/** A network as the data plane sees it: its segment and its MTU. */
export interface NetworkSegment {
  networkId: string;
  networkType: NetworkType;
  /** For flat and VLAN networks: the physical network, mapped to an interface by the agent's config. */
  physicalNetwork?: string;
  /** The VNI of a VXLAN network, the tag of a VLAN one. */
  segmentationId?: number;
  mtu: number;
}

export interface FixedIp {
  subnetId: string;
  ipAddress: string;
}

export interface SubnetSpec {
  id: string;
  networkId: string;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  /** IPv6: what the router's advertisements say (absent: the router sends none for this subnet). */
  ipv6RaMode?: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';
  /** IPv6: how instances get their address (and, when DHCPv6, the DHCP server serves the subnet). */
  ipv6AddressMode?: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';
}

/** The device a port is plugged into on its host. */
export type PortDevice =
  /** A tap device the hypervisor opens (libvirt `<interface type='ethernet'>`, managed='no'). */
  | { kind: 'tap' }
  /** A veth pair whose peer becomes `eth0` in an existing network namespace (a container, a test instance). */
  | { kind: 'veth'; namespace: string };

export interface PortSpec {
  id: string;
  networkId: string;
  macAddress: string;
  fixedIps: FixedIp[];
  adminStateUp: boolean;
  /** When false, no security group and no anti-spoofing applies to the port. */
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  allowedAddressPairs: { ipAddress: string; macAddress: string }[];
  device: PortDevice;
}

export interface SecurityGroupRuleSpec {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** A protocol name (`tcp`, `udp`, `icmp`, `icmpv6`…) or number as a string; absent for any. */
  protocol?: string;
  /** For TCP/UDP the port range; for ICMP the type (min) and code (max). */
  portRangeMin?: number;
  portRangeMax?: number;
  remoteIpPrefix?: string;
  /** Traffic from (ingress) or to (egress) the addresses of this group's ports. */
  remoteGroupId?: string;
}

export interface SecurityGroupSpec {
  id: string;
  rules: SecurityGroupRuleSpec[];
  /** The fixed IPs (and allowed address pairs) of every port in the group, for remote-group rules. */
  memberIps: string[];
}

/** A network whose DHCP server runs on this host: one dnsmasq in `qdhcp-<network id>`. */
export interface DhcpSpec {
  network: NetworkSegment;
  /** The DHCP port (device_owner `network:dhcp`): the server's own MAC and addresses. */
  port: PortSpec;
  subnets: SubnetSpec[];
  /** One static entry per port on the network. */
  hosts: { macAddress: string; ipAddress: string; hostname: string }[];
}

/** A router's leg on one network: its port and the subnet it routes. */
export interface RouterInterfaceSpec {
  network: NetworkSegment;
  port: PortSpec;
  subnets: SubnetSpec[];
}

export interface FloatingIpSpec {
  id: string;
  floatingIpAddress: string;
  fixedIpAddress: string;
}

/** A router served on this host: one namespace `qrouter-<router id>`. */
export interface RouterSpec {
  id: string;
  adminStateUp: boolean;
  gateway?: RouterInterfaceSpec & { enableSnat: boolean };
  interfaces: RouterInterfaceSpec[];
  routes: { destination: string; nexthop: string }[];
  floatingIps: FloatingIpSpec[];
}

/** Another host's tunnel endpoint, for VXLAN networks present on both. */
export interface TunnelPeer {
  host: string;
  ip: string;
  /** The VXLAN networks (VNIs) the peer has ports on; traffic for the others is not sent there. */
  segmentationIds: number[];
}

export interface HostState {
  host: string;
  /** Every network with something on this host (a port, a DHCP server, a router leg). */
  networks: NetworkSegment[];
  /** Instance ports bound to this host. */
  ports: PortSpec[];
  dhcp: DhcpSpec[];
  routers: RouterSpec[];
  /** The groups of this host's ports, and those their rules name as remote groups. */
  securityGroups: SecurityGroupSpec[];
  tunnelPeers: TunnelPeer[];
}
