import { type PortSpec, type SecurityGroupRuleSpec, type SecurityGroupSpec } from '@overcast/network/contracts';

/** A security group rule as the flows need it: numbers, one IP version, the remote addresses spelled out. */
export interface FirewallRule {
  direction: 'ingress' | 'egress';
  ipVersion: 4 | 6;
  protocol?: number;
  /** TCP/UDP/SCTP: the destination port range. ICMP: the type (min) and code (max). */
  portRangeMin?: number;
  portRangeMax?: number;
  /** The remote addresses (IPs or CIDRs) the rule admits; absent admits any. */
  remotes?: string[];
}

/** What the firewall of one port needs to know. */
export interface PortFirewall {
  macAddress: string;
  /** The MAC/IP pairs it may send from: its fixed IPs, its allowed address pairs, its IPv6 link-local address. */
  sources: { macAddress: string; ipAddress: string }[];
  rules: FirewallRule[];
}

/** Neutron's protocol names (neutron_lib's IP_PROTOCOL_MAP); a rule may also give the number. */
export const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  icmp: 1,
  icmpv6: 58,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};

export function protocolNumber(protocol: string): number {
  const number = /^\d+$/.test(protocol) ? Number(protocol) : IP_PROTOCOLS[protocol.toLowerCase()];
  if (number === undefined || number > 255) {
    throw new Error(`unknown IP protocol "${protocol}" in a security group rule`);
  }
  return number;
}

export function ipVersionOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** fe80::/64 plus the modified EUI-64 of the MAC: the address IPv6 gives the port by itself. */
export function linkLocalAddress(macAddress: string): string {
  const mac = macAddress.split(':').map((part) => parseInt(part, 16));
  const eui = [mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]];
  const groups = [0, 2, 4, 6].map((i) => ((eui[i] << 8) | eui[i + 1]).toString(16));
  return `fe80::${groups.join(':')}`;
}

function groupOf(groups: readonly SecurityGroupSpec[], id: string): SecurityGroupSpec {
  const group = groups.find((candidate) => candidate.id === id);
  if (!group) {
    throw new Error(`security group ${id} is not in the host state`);
  }
  return group;
}

/** Absent for "any remote"; a /0 prefix is any as well. */
function remotesOf(rule: SecurityGroupRuleSpec, ipVersion: 4 | 6, groups: readonly SecurityGroupSpec[]): string[] | undefined {
  if (rule.remoteGroupId !== undefined) {
    return groupOf(groups, rule.remoteGroupId).memberIps.filter((ip) => ipVersionOf(ip) === ipVersion);
  }
  if (rule.remoteIpPrefix === undefined || rule.remoteIpPrefix.endsWith('/0')) {
    return undefined;
  }
  return [rule.remoteIpPrefix];
}

/** Neutron reads `icmp` in an IPv6 rule as ICMPv6. */
function ruleProtocol(rule: SecurityGroupRuleSpec, ipVersion: 4 | 6): number | undefined {
  if (rule.protocol === undefined || rule.protocol === 'any') {
    return undefined;
  }
  const number = protocolNumber(rule.protocol);
  return ipVersion === 6 && number === IP_PROTOCOLS.icmp ? IP_PROTOCOLS.icmpv6 : number;
}

function firewallRule(rule: SecurityGroupRuleSpec, groups: readonly SecurityGroupSpec[]): FirewallRule {
  const ipVersion = rule.ethertype === 'IPv6' ? 6 : 4;
  return {
    direction: rule.direction,
    ipVersion,
    protocol: ruleProtocol(rule, ipVersion),
    portRangeMin: rule.portRangeMin,
    portRangeMax: rule.portRangeMax,
    remotes: remotesOf(rule, ipVersion, groups),
  };
}

/** The firewall of a port with port security: its groups' rules and the addresses it may use. */
export function portFirewall(port: PortSpec, groups: readonly SecurityGroupSpec[]): PortFirewall {
  const rules = port.securityGroupIds.flatMap((id) => groupOf(groups, id).rules.map((rule) => firewallRule(rule, groups)));
  const sources = [
    ...port.fixedIps.map((fixedIp) => ({ macAddress: port.macAddress, ipAddress: fixedIp.ipAddress })),
    ...port.allowedAddressPairs.map((pair) => ({ macAddress: pair.macAddress || port.macAddress, ipAddress: pair.ipAddress })),
    { macAddress: port.macAddress, ipAddress: linkLocalAddress(port.macAddress) },
  ];
  return { macAddress: port.macAddress, sources, rules };
}
