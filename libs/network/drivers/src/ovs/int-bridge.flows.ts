import { firewallStateFlows, portFirewallFlows } from './firewall.flows';
import { IntTable } from './int-bridge-tables';
import { DROP, flow, gotoTable, inPort, POP_VLAN, PORT_REGISTER, pushVlan, setRegister, setVlan, TAGGED, UNTAGGED, VLAN_REGISTER } from './openflow';
import { type PortFirewall } from './port-firewall';

/** A port on br-int (an instance's, or a DHCP or router port moved into a namespace). */
export interface IntBridgePort {
  ofport: number;
  localVlan: number;
  macAddress: string;
  /** A port that is administratively down sends nothing (and is tagged with the dead VLAN). */
  adminStateUp: boolean;
  /** Absent: the port's traffic is not filtered (port security off, DHCP and router ports). */
  firewall?: PortFirewall;
}

/** A network reachable through an uplink, and how its frames are tagged on that uplink. */
export interface UplinkNetwork {
  localVlan: number;
  /** The VLAN id on the uplink; absent: untagged (a flat network). */
  uplinkVlan?: number;
}

/** A patch port to br-tun or to a provider bridge. */
export interface IntBridgeUplink {
  ofport: number;
  networks: UplinkNetwork[];
}

/** Where a frame comes from decides its local VLAN (reg6) and whether the firewall sees it first. */
function portClassifyFlow(port: IntBridgePort): string {
  const from = [inPort(port.ofport)];
  if (!port.adminStateUp) {
    return flow(IntTable.classify, 100, from, DROP);
  }
  const vlan = setRegister(VLAN_REGISTER, port.localVlan);
  return port.firewall
    ? flow(IntTable.classify, 100, from, [setRegister(PORT_REGISTER, port.ofport), vlan, gotoTable(IntTable.egress)])
    : flow(IntTable.classify, 100, from, [vlan, gotoTable(IntTable.forward)]);
}

/** Frames from an uplink get their local VLAN in place of the one they carry there. */
function uplinkClassifyFlows(uplink: IntBridgeUplink): string[] {
  return uplink.networks.map(({ localVlan, uplinkVlan }) => {
    const next = [setRegister(VLAN_REGISTER, localVlan), gotoTable(IntTable.forward)];
    if (uplinkVlan === undefined) {
      return flow(IntTable.classify, 100, [inPort(uplink.ofport), UNTAGGED], [...pushVlan(localVlan), ...next]);
    }
    const retag = uplinkVlan === localVlan ? [] : [setVlan(localVlan)];
    return flow(IntTable.classify, 100, [inPort(uplink.ofport), `dl_vlan=${uplinkVlan}`], [...retag, ...next]);
  });
}

/** One flow for frames from ports (untagged) and one for frames from uplinks (tagged), whose header goes first. */
function fromPortsAndUplinks(priority: number, match: readonly string[], actions: (popVlan: readonly string[]) => string[]): string[] {
  return [flow(IntTable.forward, priority, [...match, UNTAGGED], actions([])), flow(IntTable.forward, priority, [...match, TAGGED], actions([POP_VLAN]))];
}

/** A unicast frame for a filtered port goes through its ingress firewall instead of NORMAL. */
function unicastFlows(port: IntBridgePort): string[] {
  const to = [`${VLAN_REGISTER}=${port.localVlan}`, `dl_dst=${port.macAddress}`];
  return fromPortsAndUplinks(100, to, (popVlan) => [...popVlan, setRegister(PORT_REGISTER, port.ofport), gotoTable(IntTable.ingress)]);
}

const MULTICAST = 'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00';

/**
 * A broadcast or multicast frame reaches each filtered port of its VLAN as a copy that passes the
 * port's ingress firewall (NORMAL does not flood to filtered ports: they are `no-flood`), and the
 * other ports through NORMAL.
 */
function floodFlows(localVlan: number, filtered: readonly IntBridgePort[]): string[] {
  const inVlan = [`${VLAN_REGISTER}=${localVlan}`, MULTICAST];
  return fromPortsAndUplinks(90, inVlan, (popVlan) => [
    ...filtered.map((port) => `clone(${[...popVlan, setRegister(PORT_REGISTER, port.ofport), `resubmit(,${IntTable.ingress})`].join(',')})`),
    'NORMAL',
  ]);
}

/** The filtered ports that forward, by local VLAN. */
function filteredByVlan(ports: readonly IntBridgePort[]): Map<number, IntBridgePort[]> {
  const byVlan = new Map<number, IntBridgePort[]>();
  for (const port of ports.filter((candidate) => candidate.adminStateUp && candidate.firewall)) {
    byVlan.set(port.localVlan, [...(byVlan.get(port.localVlan) ?? []), port]);
  }
  return byVlan;
}

/** Every flow of the integration bridge. */
export function intBridgeFlows(ports: readonly IntBridgePort[], uplinks: readonly IntBridgeUplink[]): string[] {
  return [
    flow(IntTable.classify, 0, [], DROP),
    ...ports.map(portClassifyFlow),
    ...uplinks.flatMap(uplinkClassifyFlows),
    ...firewallStateFlows(),
    ...ports.flatMap((port) => (port.adminStateUp && port.firewall ? [...unicastFlows(port), ...portFirewallFlows(port.ofport, port.firewall)] : [])),
    ...[...filteredByVlan(ports)].flatMap(([localVlan, filtered]) => floodFlows(localVlan, filtered)),
    flow(IntTable.forward, 0, [], ['NORMAL']),
  ];
}
