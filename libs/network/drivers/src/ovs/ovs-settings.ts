import { dirname } from 'node:path';
import { type HostWiringSettings } from '../l2-driver';

/** Where a system-wide Open vSwitch (Debian's openvswitch-switch) answers. */
export const SYSTEM_OVSDB_SOCKET = '/var/run/openvswitch/db.sock';

/**
 * How the ovs driver finds and lays out Open vSwitch on its host. The operator starts
 * ovsdb-server and ovs-vswitchd (`ovs-ctl start`); the driver only talks to them.
 */
export interface OvsSettings extends HostWiringSettings {
  /**
   * ovsdb-server's socket; default the system one. ovs-vswitchd must run with this socket's
   * directory as its run directory (OVS_RUNDIR), where it puts each bridge's OpenFlow socket.
   */
  ovsdbSocket?: string;
  /** The bridge every port plugs into, one local VLAN per network; default `br-int`. */
  integrationBridge?: string;
  /** The bridge holding one VXLAN port per peer; default `br-tun`. */
  tunnelBridge?: string;
  /** physnet → provider bridge holding that physnet's interface; default `br-<physnet>`. */
  bridgeMappings?: Record<string, string>;
}

/** A physical network the driver wires: its bridge and the interface on the wire. */
export interface ProviderBridge {
  physicalNetwork: string;
  bridge: string;
  interface: string;
}

export interface ResolvedOvsSettings {
  host: string;
  hostNamespace?: string;
  tunnelIp?: string;
  stateDirectory: string;
  ovsdbSocket: string;
  /** Holds `<bridge>.mgmt`, the OpenFlow socket ovs-ofctl talks to. */
  runDirectory: string;
  integrationBridge: string;
  tunnelBridge: string;
  providerBridges: ProviderBridge[];
}

/** Linux's IFNAMSIZ less the NUL: the netdev datapath makes a kernel device per bridge. */
const MAX_DEVICE_NAME = 15;

function checkedBridgeName(name: string): string {
  if (name.length === 0 || name.length > MAX_DEVICE_NAME) {
    throw new Error(`OVS bridge name "${name}" must have 1 to ${MAX_DEVICE_NAME} characters (it becomes a network device)`);
  }
  return name;
}

/** Fills the defaults and checks the names, once at start-up. */
export function resolveOvsSettings(settings: OvsSettings): ResolvedOvsSettings {
  const ovsdbSocket = settings.ovsdbSocket ?? SYSTEM_OVSDB_SOCKET;
  const providerBridges = Object.entries(settings.physicalInterfaces).map(([physicalNetwork, device]) => ({
    physicalNetwork,
    bridge: checkedBridgeName(settings.bridgeMappings?.[physicalNetwork] ?? `br-${physicalNetwork}`),
    interface: device,
  }));
  const unmapped = Object.keys(settings.bridgeMappings ?? {}).filter((physnet) => !(physnet in settings.physicalInterfaces));
  if (unmapped.length > 0) {
    throw new Error(`bridgeMappings names physical networks without an interface in physicalInterfaces: ${unmapped.join(', ')}`);
  }
  return Object.freeze({
    host: settings.host,
    hostNamespace: settings.hostNamespace,
    tunnelIp: settings.tunnelIp,
    stateDirectory: settings.stateDirectory,
    ovsdbSocket,
    runDirectory: dirname(ovsdbSocket),
    integrationBridge: checkedBridgeName(settings.integrationBridge ?? 'br-int'),
    tunnelBridge: checkedBridgeName(settings.tunnelBridge ?? 'br-tun'),
    providerBridges,
  });
}
