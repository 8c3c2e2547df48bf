import { type HostState, type NetworkSegment, type NetworkType, type PortSpec } from '@overcast/network/contracts';
import { DhcpServers } from '../dhcp/dhcp-servers';
import { HostCommands } from '../host/host-commands';
import { deviceName } from '../host/links';
import { type LegOutcome } from '../host/namespace-legs';
import { routerInterfaces, Routers } from '../l3/routers';
import { type ApplyResult, type L2Capabilities, L2Driver } from '../l2-driver';
import { portFirewallFlows } from './firewall.flows';
import { hostFlows } from './host-flows';
import { type IntBridgePort } from './int-bridge.flows';
import { DEAD_VLAN, LocalVlans } from './local-vlans';
import { OvsNamespacePlugger } from './ovs-namespace-plugger';
import { PATCH_TO_INTEGRATION, PATCH_TO_TUNNELS, providerPatches, tunnelPortName } from './ovs-names';
import { type OvsSettings, resolveOvsSettings, type ResolvedOvsSettings } from './ovs-settings';
import { type OvsInterface, OvsSwitch } from './ovs-switch';
import { ownedInterfaces, ownershipColumns } from './owned-interfaces';
import { deviceLabel, PortDevices } from './port-devices';
import { portFirewall, type PortFirewall } from './port-firewall';

/** The tools the driver and its DHCP and router code run, how to ask each for its version, and the Debian package that has it. */
const REQUIRED_TOOLS = [
  { tool: 'ovs-vsctl', versionFlag: '--version', debianPackage: 'openvswitch-switch' },
  { tool: 'ovs-ofctl', versionFlag: '--version', debianPackage: 'openvswitch-switch' },
  { tool: 'ethtool', versionFlag: '--version', debianPackage: 'ethtool' },
  { tool: 'ip', versionFlag: '-V', debianPackage: 'iproute2' },
  { tool: 'dnsmasq', versionFlag: '--version', debianPackage: 'dnsmasq-base' },
  { tool: 'iptables-restore', versionFlag: '--version', debianPackage: 'iptables' },
] as const;

/** An instance port the state wants on this host, and how to wire it. */
interface PlannedPort {
  spec: PortSpec;
  name: string;
  network: NetworkSegment;
  /** Its network's local VLAN, or the dead VLAN while it is administratively down. */
  tag: number;
  /** Absent when port security is off. */
  firewall?: PortFirewall;
}

/** One OVS port and the commands that set it up, as parts of one ovs-vsctl transaction. */
function addPort(bridge: string, name: string, ...settings: string[][]): string[][] {
  return [['--may-exist', 'add-port', bridge, name], ...settings];
}

/**
 * Open vSwitch as Neutron's openvswitch agent lays it out, in the userspace datapath
 * (datapath_type=netdev; this kernel has no openvswitch module): br-int with a local VLAN per
 * network and the security groups as conntrack flows, br-tun with one VXLAN port per peer, a
 * provider bridge per physical network for flat and VLAN networks; DHCP servers and routers (the
 * shared dhcp/ and l3/ code) on internal ports of br-int.
 *
 * The operator runs ovsdb-server and ovs-vswitchd. For VXLAN, the userspace datapath routes the
 * tunnels itself, only through its own bridges: the underlay interface must be a port of an OVS
 * bridge and the tunnel IP on that bridge (start() checks it).
 */
export class OvsDriver extends L2Driver {
  readonly name = 'ovs' as const;
  private readonly settings: ResolvedOvsSettings;
  private readonly host: HostCommands;
  private readonly ovs: OvsSwitch;
  private readonly devices: PortDevices;
  private readonly dhcp: DhcpServers;
  private readonly routers: Routers;
  private readonly vlans = new LocalVlans();
  /** The local VLANs of the apply() under way; the plugger reads them. */
  private localVlans: ReadonlyMap<string, number> = new Map();
  /** Each filtered port's firewall flows as last applied, to drop its tracked connections when it loses one. */
  private readonly appliedFirewalls = new Map<string, ReadonlySet<string>>();

  constructor(settings: OvsSettings) {
    super();
    this.settings = resolveOvsSettings(settings);
    this.host = new HostCommands(settings.hostNamespace);
    this.ovs = new OvsSwitch(this.host, this.settings.ovsdbSocket, this.settings.runDirectory);
    this.devices = new PortDevices(this.host);
    const plugger = new OvsNamespacePlugger(this.host, this.ovs, this.settings.integrationBridge, (networkId) => this.localVlanOf(networkId));
    this.dhcp = new DhcpServers(this.host, plugger, settings.stateDirectory);
    this.routers = new Routers(this.host, plugger, settings.stateDirectory);
  }

  protected async prepareHost(): Promise<L2Capabilities> {
    await this.checkHost();
    await this.createBridges();
    if (this.settings.tunnelIp !== undefined) {
      await this.checkTunnelEndpoint(this.settings.tunnelIp);
    }
    return this.capabilities();
  }

  private async checkHost(): Promise<void> {
    for (const { tool, versionFlag, debianPackage } of REQUIRED_TOOLS) {
      await this.host.run(tool, [versionFlag]).catch((error: Error) => {
        throw new Error(`the ovs driver needs ${tool} (Debian package ${debianPackage}): ${error.message}`);
      });
    }
    await this.ovs.vsctl(['get', 'Open_vSwitch', '.', 'ovs_version']).catch((error: Error) => {
      throw new Error(
        `ovsdb-server does not answer on ${this.settings.ovsdbSocket}; start Open vSwitch (package openvswitch-switch: ` +
          `/usr/share/openvswitch/scripts/ovs-ctl start) or set ovsdbSocket: ${error.message}`,
      );
    });
  }

  /** The bridges and their patch ports; ovs-vsctl waits for ovs-vswitchd to make them, which proves it runs. */
  private async createBridges(): Promise<void> {
    const { integrationBridge, tunnelBridge, tunnelIp, providerBridges } = this.settings;
    const tunnels = tunnelIp === undefined ? [] : [...bridge(tunnelBridge, 'tunnel'), ...patch(integrationBridge, PATCH_TO_TUNNELS, tunnelBridge, PATCH_TO_INTEGRATION)];
    const providers = providerBridges.flatMap((provider) => {
      const patches = providerPatches(provider.bridge);
      return [
        ...bridge(provider.bridge, 'provider'),
        ...patch(integrationBridge, patches.onIntegration, provider.bridge, patches.onProvider),
        ...addPort(provider.bridge, provider.interface, ['set', 'Interface', provider.interface, ...ownershipColumns({ role: 'physical' })]),
      ];
    });
    await this.ovs.vsctl(...bridge(integrationBridge, 'integration'), ...tunnels, ...providers).catch((error: Error) => {
      throw new Error(`creating the OVS bridges failed; is ovs-vswitchd running? ${error.message}`);
    });
    for (const provider of providerBridges) {
      await this.host.run('ip', ['link', 'set', 'dev', provider.interface, 'up']);
    }
  }

  private async checkTunnelEndpoint(tunnelIp: string): Promise<void> {
    const device = (await this.host.run('ip', ['-o', 'address', 'show', 'to', tunnelIp])).split(/\s+/)[1];
    if (!device) {
      throw new Error(`no interface on ${this.settings.host} holds the tunnel IP ${tunnelIp}`);
    }
    const interfaces = await this.ovs.interfaces();
    if (!interfaces.some((iface) => iface.name === device && iface.type === 'internal')) {
      throw new Error(
        `the tunnel IP ${tunnelIp} is on ${device}, which is not an OVS bridge: the userspace datapath (datapath_type=netdev) ` +
          `routes VXLAN only through its own bridges, so make the underlay interface a port of an OVS netdev bridge and put ${tunnelIp} on that bridge`,
      );
    }
  }

  private capabilities(): L2Capabilities {
    const networkTypes: NetworkType[] = ['local'];
    const notes: string[] = [];
    if (this.settings.providerBridges.length > 0) {
      networkTypes.push('flat', 'vlan');
    } else {
      notes.push('no flat or VLAN networks: no physical network is mapped to an interface');
    }
    if (this.settings.tunnelIp !== undefined) {
      networkTypes.push('vxlan');
    } else {
      notes.push('no VXLAN networks: tunnelIp is not set');
    }
    return { networkTypes, notes };
  }

  private localVlanOf(networkId: string): number {
    const vlan = this.localVlans.get(networkId);
    if (vlan === undefined) {
      throw new Error(`network ${networkId} is not among the host's networks`);
    }
    return vlan;
  }

  /**
   * Ports first, then the DHCP servers and routers, then the flows; a port's VLAN opens to the
   * others only once its flows are in, so its firewall holds from its first frame.
   */
  protected async applyState(state: HostState): Promise<ApplyResult> {
    const before = await this.ovs.interfaces();
    this.assignLocalVlans(state, before);
    const failures = new Map<string, string>();
    const planned = this.planPorts(state, failures);

    const kept = await this.removeStaleInstancePorts(before, planned);
    const closed = await this.plugInstancePorts(kept, planned, failures);
    await this.syncTunnelPorts(before, state);
    const legs = [...(await this.dhcp.apply(state.dhcp)), ...(await this.routers.apply(state.routers))];
    await this.removeStaleLegs(before, state);

    const after = await this.ovs.interfaces();
    await this.keepFloodsOffFilteredPorts(planned, after);
    await this.writeFlows(state, planned, after);
    await this.openVlans(closed);
    return result(planned, after, failures, legs);
  }

  /** Networks keep their local VLAN, also across restarts: the tags on our ports say which they had. */
  private assignLocalVlans(state: HostState, before: readonly OvsInterface[]): void {
    for (const iface of [...ownedInterfaces(before, 'instance'), ...ownedInterfaces(before, 'namespace')]) {
      if (iface.owner.networkId !== undefined && iface.tag !== undefined) {
        this.vlans.recover(iface.owner.networkId, iface.tag);
      }
    }
    this.localVlans = this.vlans.assign(state.networks.map((network) => network.networkId));
  }

  /** Which ports to wire and how; one that cannot be wired is reported and kept off the host. */
  private planPorts(state: HostState, failures: Map<string, string>): PlannedPort[] {
    return state.ports.flatMap((spec) => {
      try {
        const network = state.networks.find((candidate) => candidate.networkId === spec.networkId);
        if (!network) {
          throw new Error(`its network ${spec.networkId} is not among the host's networks`);
        }
        this.checkWireable(network);
        const firewall = spec.portSecurityEnabled ? portFirewall(spec, state.securityGroups) : undefined;
        const tag = spec.adminStateUp ? this.localVlanOf(network.networkId) : DEAD_VLAN;
        return [{ spec, name: deviceName('tap', spec.id), network, tag, firewall }];
      } catch (error) {
        failures.set(spec.id, (error as Error).message);
        return [];
      }
    });
  }

  private checkWireable(network: NetworkSegment): void {
    switch (network.networkType) {
      case 'local':
        return;
      case 'vxlan':
        if (this.settings.tunnelIp === undefined) {
          throw new Error('VXLAN networks cannot be wired here: this host has no tunnel IP');
        }
        return;
      case 'flat':
      case 'vlan':
        if (!this.settings.providerBridges.some((provider) => provider.physicalNetwork === network.physicalNetwork)) {
          throw new Error(`physical network ${String(network.physicalNetwork)} is not mapped to an interface on this host`);
        }
        return;
    }
  }

  /**
   * Instance ports no longer wanted, or whose device changed kind, go with their devices and
   * tracked connections; returns the interfaces that remain.
   */
  private async removeStaleInstancePorts(before: readonly OvsInterface[], planned: readonly PlannedPort[]): Promise<OvsInterface[]> {
    const wanted = new Map(planned.map((port) => [port.name, deviceLabel(port.spec.device)]));
    const stale = ownedInterfaces(before, 'instance').filter((iface) => wanted.get(iface.name) !== iface.owner.device);
    for (const iface of stale) {
      await this.ovs.vsctl(['--if-exists', 'del-port', iface.name]);
      await this.devices.remove(iface.name);
      // Its conntrack zone (its OpenFlow port) may go to another port next.
      if (iface.ofport !== undefined && iface.ofport > 0) {
        await this.ovs.flushConntrackZone(this.settings.integrationBridge, iface.ofport);
      }
      if (iface.owner.portId !== undefined) {
        this.appliedFirewalls.delete(iface.owner.portId);
      }
    }
    const removed = new Set(stale.map((iface) => iface.name));
    return before.filter((iface) => !removed.has(iface.name));
  }

  /**
   * Devices first (a failure fails that port only), then every OVS port in one transaction. A port
   * whose tag must change gets the dead VLAN until its flows are in; those are returned.
   */
  private async plugInstancePorts(present: readonly OvsInterface[], planned: readonly PlannedPort[], failures: Map<string, string>): Promise<PlannedPort[]> {
    const currentTags = new Map(present.map((iface) => [iface.name, iface.tag]));
    const commands: string[][] = [];
    const closed: PlannedPort[] = [];
    for (const port of planned) {
      try {
        await this.devices.ensure(port.spec, port.network.mtu);
      } catch (error) {
        failures.set(port.spec.id, (error as Error).message);
        continue;
      }
      const tag = currentTags.get(port.name) === port.tag ? port.tag : DEAD_VLAN;
      if (tag !== port.tag) {
        closed.push(port);
      }
      const owner = { role: 'instance' as const, portId: port.spec.id, networkId: port.network.networkId, device: deviceLabel(port.spec.device) };
      commands.push(...addPort(this.settings.integrationBridge, port.name, ['set', 'Port', port.name, `tag=${tag}`], ['set', 'Interface', port.name, ...ownershipColumns(owner)]));
    }
    if (commands.length > 0) {
      await this.ovs.vsctl(...commands);
    }
    return closed;
  }

  private async openVlans(ports: readonly PlannedPort[]): Promise<void> {
    if (ports.length > 0) {
      await this.ovs.vsctl(...ports.map((port) => ['set', 'Port', port.name, `tag=${port.tag}`]));
    }
  }

  /** One VXLAN port per peer with `key=flow`: the flows set and match the VNI, so a peer needs one port whatever its networks. */
  private async syncTunnelPorts(before: readonly OvsInterface[], state: HostState): Promise<void> {
    const { tunnelIp, tunnelBridge } = this.settings;
    const peers = tunnelIp === undefined ? [] : state.tunnelPeers.filter((peer) => peer.ip !== tunnelIp);
    const wanted = new Set(peers.map((peer) => tunnelPortName(peer.ip)));
    const commands = [
      ...ownedInterfaces(before, 'tunnel')
        .filter((iface) => !wanted.has(iface.name))
        .map((iface) => ['--if-exists', 'del-port', iface.name]),
      ...peers.flatMap((peer) => {
        const name = tunnelPortName(peer.ip);
        const options = [`options:remote_ip=${peer.ip}`, `options:local_ip=${String(tunnelIp)}`, 'options:key=flow'];
        return addPort(tunnelBridge, name, ['set', 'Interface', name, 'type=vxlan', ...options, ...ownershipColumns({ role: 'tunnel', remoteIp: peer.ip })]);
      }),
    ];
    if (commands.length > 0) {
      await this.ovs.vsctl(...commands);
    }
  }

  /** DHCP and router legs whose namespace went without them being unplugged (the namespace deleted by hand). */
  private async removeStaleLegs(before: readonly OvsInterface[], state: HostState): Promise<void> {
    const wanted = new Set([...state.dhcp.map(({ port }) => port.id), ...state.routers.filter((router) => router.adminStateUp).flatMap((router) => routerInterfaces(router).map(({ port }) => port.id))]);
    const stale = ownedInterfaces(before, 'namespace').filter((iface) => iface.owner.portId === undefined || !wanted.has(iface.owner.portId));
    if (stale.length > 0) {
      await this.ovs.vsctl(...stale.map((iface) => ['--if-exists', 'del-port', iface.name]));
    }
  }

  /** NORMAL must not flood to a filtered port: its broadcasts arrive through its firewall instead. */
  private async keepFloodsOffFilteredPorts(planned: readonly PlannedPort[], interfaces: readonly OvsInterface[]): Promise<void> {
    const bridgeName = this.settings.integrationBridge;
    const onBridge = new Set(interfaces.map((iface) => iface.name));
    const noFlood = await this.ovs.noFloodPorts(bridgeName);
    for (const port of planned.filter((candidate) => onBridge.has(candidate.name))) {
      const flood = port.firewall === undefined;
      if (noFlood.has(port.name) === flood) {
        await this.ovs.setFlooding(bridgeName, port.name, flood);
      }
    }
  }

  private async writeFlows(state: HostState, planned: readonly PlannedPort[], interfaces: readonly OvsInterface[]): Promise<void> {
    const ofports = new Map(interfaces.flatMap((iface) => (iface.ofport !== undefined && iface.ofport > 0 ? [[iface.name, iface.ofport] as const] : [])));
    const ports: IntBridgePort[] = [
      ...planned.flatMap((port) => {
        const ofport = ofports.get(port.name);
        return ofport === undefined ? [] : [{ ofport, localVlan: port.tag, macAddress: port.spec.macAddress, adminStateUp: port.spec.adminStateUp, firewall: port.firewall }];
      }),
      ...ownedInterfaces(interfaces, 'namespace').flatMap((iface) => {
        const ofport = ofports.get(iface.name);
        const localVlan = this.localVlans.get(iface.owner.networkId ?? '');
        return ofport === undefined || localVlan === undefined ? [] : [{ ofport, localVlan, macAddress: '', adminStateUp: true }];
      }),
    ];
    const flows = hostFlows({ settings: this.settings, networks: state.networks, tunnelPeers: state.tunnelPeers, localVlans: this.localVlans, ports, ofports });
    for (const [bridgeName, bridgeFlows] of flows) {
      await this.ovs.replaceFlows(bridgeName, bridgeFlows);
    }
    await this.dropConnectionsOfNarrowedFirewalls(planned, ofports);
  }

  /**
   * A port whose firewall lost a flow (a rule, a remote group member, an address) loses its tracked
   * connections, so what no longer passes stops; a firewall that only gained flows keeps them.
   */
  private async dropConnectionsOfNarrowedFirewalls(planned: readonly PlannedPort[], ofports: ReadonlyMap<string, number>): Promise<void> {
    for (const port of planned) {
      const ofport = ofports.get(port.name);
      if (ofport === undefined) {
        continue;
      }
      const applied = new Set(port.firewall ? portFirewallFlows(ofport, port.firewall) : []);
      const previous = this.appliedFirewalls.get(port.spec.id) ?? new Set();
      this.appliedFirewalls.set(port.spec.id, applied);
      if ([...previous].some((previousFlow) => !applied.has(previousFlow))) {
        await this.ovs.flushConntrackZone(this.settings.integrationBridge, ofport);
      }
    }
  }

  protected async removeEverything(): Promise<void> {
    await this.routers.removeAll();
    await this.dhcp.removeAll();
    const interfaces = await this.ovs.interfaces();
    const { integrationBridge, tunnelBridge, providerBridges } = this.settings;
    const bridges = [integrationBridge, tunnelBridge, ...providerBridges.map((provider) => provider.bridge)];
    await this.ovs.vsctl(...bridges.map((name) => ['--if-exists', 'del-br', name]));
    for (const iface of ownedInterfaces(interfaces, 'instance')) {
      await this.devices.remove(iface.name);
    }
    this.vlans.clear();
    this.localVlans = new Map();
    this.appliedFirewalls.clear();
  }
}

/** A userspace-datapath bridge that forwards nothing until the driver's flows say so. */
function bridge(name: string, purpose: string): string[][] {
  return [
    ['--may-exist', 'add-br', name],
    ['set', 'Bridge', name, 'datapath_type=netdev', 'fail_mode=secure', `external_ids:overcast-bridge=${purpose}`],
  ];
}

/** A pair of patch ports joining two bridges. */
function patch(bridgeName: string, name: string, peerBridge: string, peerName: string): string[][] {
  const end = (own: string, other: string) => ['set', 'Interface', own, 'type=patch', `options:peer=${other}`, ...ownershipColumns({ role: 'patch' })];
  return [...addPort(bridgeName, name, end(name, peerName)), ...addPort(peerBridge, peerName, end(peerName, name))];
}

/** Instance ports OVS opened are wired (admin-down ones too: wired, and down); DHCP and router legs as their code said. */
function result(planned: readonly PlannedPort[], interfaces: readonly OvsInterface[], failures: ReadonlyMap<string, string>, legs: readonly LegOutcome[]): ApplyResult {
  const byName = new Map(interfaces.map((iface) => [iface.name, iface]));
  const outcomes: LegOutcome[] = [...failures].map(([portId, failure]) => ({ portId, failure }));
  for (const port of planned.filter((candidate) => !failures.has(candidate.spec.id))) {
    const iface = byName.get(port.name);
    const opened = iface?.ofport !== undefined && iface.ofport > 0;
    outcomes.push(opened ? { portId: port.spec.id } : { portId: port.spec.id, failure: `OVS could not open ${port.name}: ${iface?.error ?? 'no such interface'}` });
  }
  outcomes.push(...legs);
  return {
    wiredPorts: outcomes.filter(({ failure }) => failure === undefined).map(({ portId }) => portId),
    failedPorts: outcomes.flatMap(({ portId, failure }) => (failure === undefined ? [] : [{ portId, reason: failure }])),
  };
}
