import { IntTable } from './int-bridge-tables';
import { DROP, flow, gotoTable, OUTPUT_TO_PORT_REGISTER, PORT_REGISTER, PORT_ZONE } from './openflow';
import { type FirewallRule, IP_PROTOCOLS, ipVersionOf, type PortFirewall } from './port-firewall';

/**
 * Security groups as OpenFlow rules with conntrack (the way Neutron's openvswitch firewall
 * driver does it): stateful, nothing enters a port unless a rule or an established connection
 * admits it, and a port sends only from its own MAC/IP pairs.
 */

const { icmp: ICMP, icmpv6: ICMPV6 } = IP_PROTOCOLS;
/** The protocols whose rules give a destination port range. */
const PORT_PROTOCOLS = new Set([IP_PROTOCOLS.tcp, IP_PROTOCOLS.udp, IP_PROTOCOLS.sctp]);

const ICMPV6_ROUTER_SOLICITATION = 133;
const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const ICMPV6_NEIGHBOR_SOLICITATION = 135;
const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;

const TO_CONNTRACK = (table: number) => `ct(table=${table},${PORT_ZONE})`;
const COMMIT = `ct(commit,${PORT_ZONE})`;

const hex = (value: number) => `0x${value.toString(16)}`;

/** The value/mask pairs that together match exactly the ports `min`..`max` (each an aligned power-of-two block). */
export function portRangeMatches(min: number, max: number): string[] {
  const matches: string[] = [];
  for (let start = min; start <= max; ) {
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 - 1 <= max) {
      size *= 2;
    }
    matches.push(size === 1 ? hex(start) : `${hex(start)}/${hex(0xffff & ~(size - 1))}`);
    start += size;
  }
  return matches;
}

/** The alternatives (ORed) a rule's layer-4 fields give, each a list of fields (ANDed). */
function layer4Matches(rule: FirewallRule): string[][] {
  const { protocol, portRangeMin: min, portRangeMax: max } = rule;
  if (protocol !== undefined && PORT_PROTOCOLS.has(protocol) && min !== undefined) {
    const whole = min === 0 && (max ?? min) === 0xffff;
    return whole ? [[]] : portRangeMatches(min, max ?? min).map((range) => [`tp_dst=${range}`]);
  }
  if (protocol === ICMP || protocol === ICMPV6) {
    const field = protocol === ICMP ? 'icmp' : 'icmpv6';
    return [[...(min === undefined ? [] : [`${field}_type=${min}`]), ...(max === undefined ? [] : [`${field}_code=${max}`])]];
  }
  return [[]];
}

function remoteMatches(rule: FirewallRule): string[][] {
  if (rule.remotes === undefined) {
    return [[]];
  }
  const side = rule.direction === 'ingress' ? 'src' : 'dst';
  const field = rule.ipVersion === 4 ? `nw_${side}` : `ipv6_${side}`;
  return rule.remotes.map((remote) => [`${field}=${remote}`]);
}

/** Every match one rule needs: the product of its layer-4 and remote alternatives. */
export function ruleMatches(rule: FirewallRule): string[][] {
  const base = [rule.ipVersion === 4 ? 'ip' : 'ipv6', ...(rule.protocol === undefined ? [] : [`nw_proto=${rule.protocol}`])];
  return layer4Matches(rule).flatMap((layer4) => remoteMatches(rule).map((remote) => [...base, ...layer4, ...remote]));
}

/** The tables' own flows, the same for every port: what conntrack's verdict means, and the default drops. */
export function firewallStateFlows(): string[] {
  const stateFlows = (table: number, pass: string, rules: number) => [
    flow(table, 100, ['ct_state=+est-rel-inv+trk'], [pass]),
    flow(table, 100, ['ct_state=-est+rel-inv+trk'], [pass]),
    flow(table, 90, ['ct_state=+inv+trk'], DROP),
    flow(table, 80, ['ct_state=+new-inv+trk'], [gotoTable(rules)]),
  ];
  return [
    ...stateFlows(IntTable.egressState, gotoTable(IntTable.forward), IntTable.egressRules),
    ...stateFlows(IntTable.ingressState, OUTPUT_TO_PORT_REGISTER, IntTable.ingressRules),
    ...[IntTable.egress, IntTable.egressState, IntTable.egressRules, IntTable.ingress, IntTable.ingressState, IntTable.ingressRules].map((table) =>
      flow(table, 0, [], DROP),
    ),
  ];
}

/** What the port may send: DHCP and neighbour discovery from its MAC, ARP and IP from its own pairs only. */
function egressFlows(ofport: number, firewall: PortFirewall): string[] {
  const port = `${PORT_REGISTER}=${ofport}`;
  const mac = `dl_src=${firewall.macAddress}`;
  const forward = [gotoTable(IntTable.forward)];
  const fromSource = ({ macAddress, ipAddress }: PortFirewall['sources'][number]) =>
    ipVersionOf(ipAddress) === 4
      ? [
          flow(IntTable.egress, 80, [port, 'arp', `dl_src=${macAddress}`, `arp_sha=${macAddress}`, `arp_spa=${ipAddress}`], forward),
          flow(IntTable.egress, 70, [port, 'ip', `dl_src=${macAddress}`, `nw_src=${ipAddress}`], [TO_CONNTRACK(IntTable.egressState)]),
        ]
      : [
          flow(IntTable.egress, 80, [port, 'icmp6', `icmpv6_type=${ICMPV6_NEIGHBOR_ADVERTISEMENT}`, `dl_src=${macAddress}`, `nd_target=${ipAddress}`], forward),
          flow(IntTable.egress, 70, [port, 'ipv6', `dl_src=${macAddress}`, `ipv6_src=${ipAddress}`], [TO_CONNTRACK(IntTable.egressState)]),
        ];
  return [
    // DHCP requests go out before the port has an address; a port never answers as a DHCP server,
    // nor advertises itself as a router (every port takes router advertisements: only routers may send them).
    flow(IntTable.egress, 95, [port, 'udp', mac, 'tp_src=68', 'tp_dst=67'], forward),
    flow(IntTable.egress, 95, [port, 'udp6', mac, 'tp_src=546', 'tp_dst=547'], forward),
    flow(IntTable.egress, 90, [port, 'udp', 'tp_src=67'], DROP),
    flow(IntTable.egress, 90, [port, 'udp6', 'tp_src=547'], DROP),
    flow(IntTable.egress, 90, [port, 'icmp6', `icmpv6_type=${ICMPV6_ROUTER_ADVERTISEMENT}`], DROP),
    ...[ICMPV6_ROUTER_SOLICITATION, ICMPV6_NEIGHBOR_SOLICITATION].map((type) => flow(IntTable.egress, 80, [port, 'icmp6', `icmpv6_type=${type}`, mac], forward)),
    ...firewall.sources.flatMap(fromSource),
  ];
}

/** What may reach the port before the rules: ARP, DHCP answers, router and neighbour discovery; IP goes to conntrack. */
function ingressFlows(ofport: number): string[] {
  const port = `${PORT_REGISTER}=${ofport}`;
  const deliver = [`output:${ofport}`];
  return [
    flow(IntTable.ingress, 95, [port, 'arp'], deliver),
    flow(IntTable.ingress, 95, [port, 'udp', 'tp_src=67', 'tp_dst=68'], deliver),
    flow(IntTable.ingress, 95, [port, 'udp6', 'tp_src=547', 'tp_dst=546'], deliver),
    ...[ICMPV6_ROUTER_ADVERTISEMENT, ICMPV6_NEIGHBOR_SOLICITATION, ICMPV6_NEIGHBOR_ADVERTISEMENT].map((type) =>
      flow(IntTable.ingress, 95, [port, 'icmp6', `icmpv6_type=${type}`], deliver),
    ),
    flow(IntTable.ingress, 70, [port, 'ip'], [TO_CONNTRACK(IntTable.ingressState)]),
    flow(IntTable.ingress, 70, [port, 'ipv6'], [TO_CONNTRACK(IntTable.ingressState)]),
  ];
}

/** One flow per match of each rule; a match commits the connection, so its replies pass as established. */
function ruleFlows(ofport: number, rules: readonly FirewallRule[]): string[] {
  const port = `${PORT_REGISTER}=${ofport}`;
  return rules.flatMap((rule) => {
    const [table, pass] =
      rule.direction === 'egress' ? [IntTable.egressRules, gotoTable(IntTable.forward)] : [IntTable.ingressRules, `output:${ofport}`];
    return ruleMatches(rule).map((match) => flow(table, 70, [port, ...match], [COMMIT, pass]));
  });
}

/** Every flow of one filtered port, in all the firewall's tables. */
export function portFirewallFlows(ofport: number, firewall: PortFirewall): string[] {
  return [...egressFlows(ofport, firewall), ...ingressFlows(ofport), ...ruleFlows(ofport, firewall.rules)];
}
