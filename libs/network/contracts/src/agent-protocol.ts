import { type NetworkType } from './host-state';

/** The server's topic: agents report to it and fetch their host's state from it. */
export const NETWORK_SERVER_TOPIC = 'network-server';

/**
 * The version of the network agents' protocol, on both sides: the service serves its topic and an
 * agent its own at it, and an agent reports and asks at it, which tells the service what that agent
 * speaks. The service sends each agent at the older of the two (sendVersion), so during a rolling
 * upgrade a new service and an old agent understand each other.
 */
export const NETWORK_PROTOCOL_VERSION = '1.0';

/** The topic an agent serves on its host. */
export const agentTopic = (host: string) => `network.${host}`;

/** Bus patterns between the network service and its agents; payload version 1.0. */
export const NETWORK_AGENT_PATTERNS = {
  /** agent → server (cast), at start-up and then periodically: an AgentReport. */
  report: 'network.agent.report',
  /** agent → server (call): `{ host }` → HostState. */
  getHostState: 'network.agent.get-host-state',
  /** agent → server (cast): a PortStatusReport, after wiring or unwiring ports. */
  portStatus: 'network.port.status',
  /** server → agent (cast): the host's state changed; fetch it again and apply it. */
  hostChanged: 'network.host.changed',
} as const;

export type L2DriverName = 'linuxbridge' | 'ovs';

/** What an agent tells the server about itself (Neutron's agent heartbeat). */
export interface AgentReport {
  host: string;
  /** `Linux bridge agent` or `Open vSwitch agent`, as Neutron names them in `agent_type`. */
  agentType: string;
  binary: string;
  driver: L2DriverName;
  /** The local VXLAN endpoint, absent when the agent has no tunnel address. */
  tunnelIp?: string;
  /** The segment types this host can wire; a VLAN segment is refused on hosts without 802.1q. */
  networkTypes: NetworkType[];
  physicalNetworks: string[];
  /** Whether DHCP servers and routers are placed on this host. */
  dhcp: boolean;
  l3: boolean;
}

export interface PortStatusReport {
  host: string;
  /** Ports now wired on the host. */
  active: string[];
  /** Ports the host could not wire, or no longer has. */
  down: string[];
}
