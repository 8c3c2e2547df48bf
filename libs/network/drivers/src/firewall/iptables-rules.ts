import { type PortSpec, type SecurityGroupRuleSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { eui64LinkLocal, type IpVersion, parseCidr } from '../host/ip-addresses';
import { deviceName } from '../host/links';

/**
 * Security groups as iptables rules on bridged traffic, after Neutron's iptables firewall: the
 * host's FORWARD chain jumps to ours, which sends traffic to and from each filtered port's tap
 * through that port's chains. Every chain and set we own starts with this prefix; nothing else
 * is ever touched.
 */
export const OWNED_PREFIX = 'oclb';
export const FORWARD_CHAIN = `${OWNED_PREFIX}-FORWARD`;
const SG_CHAIN = `${OWNED_PREFIX}-sg-chain`;
const FALLBACK_CHAIN = `${OWNED_PREFIX}-sg-fallback`;

/** A filtered port's chains: what may reach it, what it may send, and which sources are its own. */
export function portChains(portId: string): { ingress: string; egress: string; source: string } {
  const id = portId.slice(0, 11);
  return { ingress: `${OWNED_PREFIX}-i${id}`, egress: `${OWNED_PREFIX}-o${id}`, source: `${OWNED_PREFIX}-s${id}` };
}

/** The ipset holding a remote group's addresses (ipset names stop at 31 characters). */
export function remoteGroupSetName(version: IpVersion, groupId: string): string {
  return `${OWNED_PREFIX}${version}-${groupId.slice(0, 24)}`;
}

/** The set a new content is built in before it is swapped in, so a rule never sees a half-filled set. */
function stagingSetName(version: IpVersion, groupId: string): string {
  return `${OWNED_PREFIX}${version}+${groupId.slice(0, 24)}`;
}

const toPort = (tap: string) => `-m physdev --physdev-out ${tap} --physdev-is-bridged`;
const fromPort = (tap: string) => `-m physdev --physdev-in ${tap} --physdev-is-bridged`;

const ESTABLISHED = '-m conntrack --ctstate RELATED,ESTABLISHED';
const INVALID = '-m conntrack --ctstate INVALID';

const icmpv6 = (type: number) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${type}`;

/** Traffic a port needs whatever its groups say: DHCP replies, and for IPv6 neighbour discovery and router adverts. */
const INGRESS_ALWAYS: Record<IpVersion, string[]> = {
  4: ['-p udp -m udp --sport 67 --dport 68'],
  6: [...[130, 131, 132, 134, 135, 136].map(icmpv6), '-p udp -m udp --sport 547 --dport 546'],
};

/** What a port may send before its source is checked: DHCP discovery from 0.0.0.0, IPv6 duplicate address detection from ::. */
const EGRESS_UNADDRESSED: Record<IpVersion, string[]> = {
  4: ['-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67'],
  6: [131, 135, 143].map((type) => `-s ::/128 -d ff02::/16 ${icmpv6(type)}`),
};

/** What a port may send from its own addresses whatever its groups say (DHCP client, neighbour discovery)… */
const EGRESS_ALWAYS: Record<IpVersion, string[]> = {
  4: ['-p udp -m udp --sport 68 --dport 67'],
  6: [...[133, 135, 136].map(icmpv6), '-p udp -m udp --sport 546 --dport 547'],
};

/** …and what it may never send: it is no DHCP server and no router. */
const EGRESS_NEVER: Record<IpVersion, string[]> = {
  4: ['-p udp -m udp --sport 67 --dport 68'],
  6: [icmpv6(134), '-p udp -m udp --sport 547 --dport 546'],
};

/** Protocol names and numbers as iptables spells them; an unknown one is passed on as given. */
const PROTOCOL_ALIASES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp', '132': 'sctp', icmpv6: 'ipv6-icmp' };
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp']);

function iptablesProtocol(protocol: string | undefined, version: IpVersion): string | undefined {
  const name = protocol === undefined ? 'any' : (PROTOCOL_ALIASES[protocol.toLowerCase()] ?? protocol.toLowerCase());
  if (name === 'any' || name === '') {
    return undefined;
  }
  // Neutron lets "icmp" stand for ICMPv6 in an IPv6 rule.
  return version === 6 && name === 'icmp' ? 'ipv6-icmp' : name;
}

function range(min: number, max: number | undefined, separator: string): string {
  return max === undefined || max === min ? String(min) : `${min}${separator}${max}`;
}

/** The protocol, port and ICMP type/code part of a rule's match. */
function protocolMatch(rule: SecurityGroupRuleSpec, version: IpVersion): string[] {
  const protocol = iptablesProtocol(rule.protocol, version);
  if (protocol === undefined) {
    return [];
  }
  const min = rule.portRangeMin;
  if (min === undefined) {
    return [`-p ${protocol}`];
  }
  if (PORT_PROTOCOLS.has(protocol)) {
    return [`-p ${protocol} -m ${protocol} --dport ${range(min, rule.portRangeMax, ':')}`];
  }
  if (protocol === 'icmp') {
    return [`-p icmp -m icmp --icmp-type ${range(min, rule.portRangeMax, '/')}`];
  }
  if (protocol === 'ipv6-icmp') {
    return [`-p ipv6-icmp -m icmp6 --icmpv6-type ${range(min, rule.portRangeMax, '/')}`];
  }
  return [`-p ${protocol}`];
}

/** A rule's match in the port's ingress or egress chain, or undefined when it is for the other IP version. */
export function ruleMatch(rule: SecurityGroupRuleSpec, version: IpVersion): string | undefined {
  if (rule.ethertype !== (version === 4 ? 'IPv4' : 'IPv6')) {
    return undefined;
  }
  // The remote end is the source of what comes in and the destination of what goes out.
  const [address, setDirection] = rule.direction === 'ingress' ? ['-s', 'src'] : ['-d', 'dst'];
  const parts: string[] = [];
  if (rule.remoteIpPrefix !== undefined) {
    const prefix = parseCidr(rule.remoteIpPrefix);
    if (prefix.version !== version) {
      return undefined;
    }
    if (prefix.prefixLength > 0) {
      parts.push(`${address} ${prefix.address}/${prefix.prefixLength}`);
    }
  }
  if (rule.remoteGroupId !== undefined) {
    parts.push(`-m set --match-set ${remoteGroupSetName(version, rule.remoteGroupId)} ${setDirection}`);
  }
  return [...parts, ...protocolMatch(rule, version)].join(' ');
}

function groupRules(port: PortSpec, groups: ReadonlyMap<string, SecurityGroupSpec>): SecurityGroupRuleSpec[] {
  return port.securityGroupIds.flatMap((id) => groups.get(id)?.rules ?? []);
}

/** The (address, MAC) pairs a port may send from: its fixed IPs, its allowed address pairs and, for IPv6, their link-local addresses. */
function portSources(port: PortSpec, version: IpVersion): { address: string; mac: string }[] {
  const sources = [
    ...port.fixedIps.map(({ ipAddress }) => ({ address: ipAddress, mac: port.macAddress })),
    ...port.allowedAddressPairs.map(({ ipAddress, macAddress }) => ({ address: ipAddress, mac: macAddress || port.macAddress })),
  ].filter(({ address }) => parseCidr(address).version === version);
  if (version === 6) {
    const macs = new Set([port.macAddress, ...port.allowedAddressPairs.map(({ macAddress }) => macAddress || port.macAddress)]);
    sources.push(...[...macs].map((mac) => ({ address: eui64LinkLocal(mac), mac })));
  }
  return sources;
}

function portRules(port: PortSpec, groups: ReadonlyMap<string, SecurityGroupSpec>, version: IpVersion): string[] {
  const { ingress, egress, source } = portChains(port.id);
  const rules = groupRules(port, groups);
  const matches = (direction: SecurityGroupRuleSpec['direction']) =>
    rules.filter((rule) => rule.direction === direction).flatMap((rule) => ruleMatch(rule, version) ?? []);
  // A rule without any constraint allows everything: its match is empty.
  const accept = (chain: string, match: string) => ['-A', chain, match, '-j', 'RETURN'].filter((part) => part !== '').join(' ');
  return [
    `-A ${ingress} ${ESTABLISHED} -j RETURN`,
    ...INGRESS_ALWAYS[version].map((match) => accept(ingress, match)),
    `-A ${ingress} ${INVALID} -j DROP`,
    ...matches('ingress').map((match) => accept(ingress, match)),
    `-A ${ingress} -j ${FALLBACK_CHAIN}`,

    ...EGRESS_UNADDRESSED[version].map((match) => accept(egress, match)),
    `-A ${egress} -j ${source}`,
    ...EGRESS_ALWAYS[version].map((match) => accept(egress, match)),
    ...EGRESS_NEVER[version].map((match) => `-A ${egress} ${match} -j DROP`),
    `-A ${egress} ${ESTABLISHED} -j RETURN`,
    `-A ${egress} ${INVALID} -j DROP`,
    ...matches('egress').map((match) => accept(egress, match)),
    `-A ${egress} -j ${FALLBACK_CHAIN}`,

    ...portSources(port, version).map(({ address, mac }) => `-A ${source} -s ${address} -m mac --mac-source ${mac} -j RETURN`),
    `-A ${source} -j DROP`,
  ];
}

export interface FilterTableInput {
  /** The instance ports wired on the host; those without port security are let through unfiltered. */
  ports: readonly PortSpec[];
  groups: readonly SecurityGroupSpec[];
  version: IpVersion;
  /** Chains of ours the table holds now: those no longer wanted are deleted in the same transaction. */
  existingChains: readonly string[];
}

/**
 * Our part of the filter table, for `iptables-restore --noflush`: each chain named is flushed and
 * refilled, chains no longer wanted are deleted, and the whole change lands in one transaction.
 */
export function renderFilterTable({ ports, groups, version, existingChains }: FilterTableInput): string {
  const groupsById = new Map(groups.map((group) => [group.id, group]));
  const filtered = ports.filter((port) => port.portSecurityEnabled);
  const unfiltered = ports.filter((port) => !port.portSecurityEnabled);
  const tap = (port: PortSpec) => deviceName('tap', port.id);
  const chains = [FORWARD_CHAIN, SG_CHAIN, FALLBACK_CHAIN, ...filtered.flatMap((port) => Object.values(portChains(port.id)))];
  const stale = existingChains.filter((chain) => !chains.includes(chain));
  const rules = [
    ...filtered.flatMap((port) => [`-A ${FORWARD_CHAIN} ${toPort(tap(port))} -j ${SG_CHAIN}`, `-A ${FORWARD_CHAIN} ${fromPort(tap(port))} -j ${SG_CHAIN}`]),
    // After every filtered port: traffic between an unfiltered and a filtered port is judged by the latter.
    ...unfiltered.flatMap((port) => [`-A ${FORWARD_CHAIN} ${toPort(tap(port))} -j ACCEPT`, `-A ${FORWARD_CHAIN} ${fromPort(tap(port))} -j ACCEPT`]),
    // Both ends' chains RETURN what they allow, so traffic between two ports of this host passes both.
    ...filtered.flatMap((port) => [
      `-A ${SG_CHAIN} ${toPort(tap(port))} -j ${portChains(port.id).ingress}`,
      `-A ${SG_CHAIN} ${fromPort(tap(port))} -j ${portChains(port.id).egress}`,
    ]),
    `-A ${SG_CHAIN} -j ACCEPT`,
    `-A ${FALLBACK_CHAIN} -j DROP`,
    ...filtered.flatMap((port) => portRules(port, groupsById, version)),
  ];
  return ['*filter', ...[...chains, ...stale].map((chain) => `:${chain} - [0:0]`), ...rules, ...stale.map((chain) => `-X ${chain}`), 'COMMIT', ''].join('\n');
}

/** Deletes the given chains of ours (their references must be gone: declaring them flushes them). */
export function renderChainRemoval(chains: readonly string[]): string {
  return ['*filter', ...chains.map((chain) => `:${chain} - [0:0]`), ...chains.map((chain) => `-X ${chain}`), 'COMMIT', ''].join('\n');
}

export interface RemoteGroupSet {
  name: string;
  version: IpVersion;
  groupId: string;
  members: string[];
}

/** The ipsets the filtered ports' remote-group rules match against, with the member addresses of each group. */
export function remoteGroupSets(ports: readonly PortSpec[], groups: readonly SecurityGroupSpec[]): RemoteGroupSet[] {
  const groupsById = new Map(groups.map((group) => [group.id, group]));
  const sets = new Map<string, RemoteGroupSet>();
  for (const rule of ports.filter((port) => port.portSecurityEnabled).flatMap((port) => groupRules(port, groupsById))) {
    if (rule.remoteGroupId === undefined) {
      continue;
    }
    const version: IpVersion = rule.ethertype === 'IPv4' ? 4 : 6;
    const name = remoteGroupSetName(version, rule.remoteGroupId);
    // A /0 member (an address pair) cannot go into a hash:net set; it would admit everyone anyway.
    const members = (groupsById.get(rule.remoteGroupId)?.memberIps ?? [])
      .map(parseCidr)
      .filter((cidr) => cidr.version === version && cidr.prefixLength > 0)
      .map(({ address, prefixLength }) => `${address}/${prefixLength}`);
    sets.set(name, { name, version, groupId: rule.remoteGroupId, members: [...new Set(members)] });
  }
  return [...sets.values()];
}

/** An `ipset restore` script that creates each set if needed and replaces its content in one swap. */
export function renderIpsetRestore(sets: readonly RemoteGroupSet[]): string {
  return sets
    .flatMap(({ name, version, groupId, members }) => {
      const staging = stagingSetName(version, groupId);
      const type = `hash:net family ${version === 4 ? 'inet' : 'inet6'}`;
      return [
        `create ${name} ${type} -exist`,
        `create ${staging} ${type} -exist`,
        `flush ${staging}`,
        ...members.map((member) => `add ${staging} ${member}`),
        `swap ${staging} ${name}`,
        `destroy ${staging}`,
      ];
    })
    .map((line) => `${line}\n`)
    .join('');
}
