import { type HostState, type NetworkSegment, type NetworkType, type PortSpec } from '@overcast/network/contracts';
import { DhcpServers } from '../dhcp/dhcp-servers';
import { IptablesFirewall } from '../firewall/iptables-firewall';
import { HostCommandError, HostCommands } from '../host/host-commands';
import { deleteLink, deviceName, type Link, listLinks } from '../host/links';
import { type LegOutcome } from '../host/namespace-legs';
import { routerInterfaces, Routers } from '../l3/routers';
import { type ApplyResult, type HostWiringSettings, type L2Capabilities, L2Driver } from '../l2-driver';
import { ensureTap, ensureVeth } from './bridge-ports';
import { LinuxBridgePlugger } from './linuxbridge-plugger';
import { isNetworkDevice, type NetworkPlan, type NetworkPlans, ownDevicesOf, planNetworks, wireNetwork } from './networks';

/** The tools the driver runs, how to ask each for its version, and the Debian package that has it. */
const REQUIRED_TOOLS: readonly { tool: string; versionFlag: string; debianPackage: string }[] = [
  { tool: 'ip', versionFlag: '-V', debianPackage: 'iproute2' },
  { tool: 'bridge', versionFlag: '-V', debianPackage: 'iproute2' },
  { tool: 'iptables', versionFlag: '--version', debianPackage: 'iptables' },
  { tool: 'ip6tables', versionFlag: '--version', debianPackage: 'iptables' },
  { tool: 'ipset', versionFlag: '--version', debianPackage: 'ipset' },
  { tool: 'dnsmasq', versionFlag: '--version', debianPackage: 'dnsmasq-base' },
  { tool: 'sysctl', versionFlag: '--version', debianPackage: 'procps' },
];

/** What start() found: the capabilities, and why VLAN networks cannot be wired here (if they cannot). */
interface HostCheck extends L2Capabilities {
  vlanUnavailable?: string;
}

/**
 * Named like our bridges, so a probe cut short leaves nothing apply() would not remove.
 * (Not `brd…`: `ip` reads that as a keyword.)
 */
const VLAN_PROBE_BRIDGE = 'brqvlanprobe';

/** An instance port's tap: `tap` and the port id's first eleven characters, as Nova and Neutron name it. */
const isPortTap = (name: string) => /^tap.{11}$/.test(name);

/**
 * Wires a host with Linux bridges, after Neutron's linuxbridge agent (plus its DHCP and L3 agents):
 * a bridge `brq<network>` per network, uplinked by a unicast VXLAN device or a physical interface;
 * instance ports as taps (or veth pairs into a namespace) on it, filtered by iptables; DHCP servers
 * and routers in their own namespaces, plugged into the bridges. What it owns it knows by name.
 */
export class LinuxBridgeDriver extends L2Driver {
  readonly name = 'linuxbridge' as const;
  private readonly firewall: IptablesFirewall;
  private readonly dhcp: DhcpServers;
  private readonly routers: Routers;
  private capabilities?: Promise<HostCheck>;

  /** `commands` runs the host's tools; by default in `settings.hostNamespace` (the host's own namespace when unset). */
  constructor(
    private readonly settings: HostWiringSettings,
    private readonly commands = new HostCommands(settings.hostNamespace),
  ) {
    super();
    const plugger = new LinuxBridgePlugger(this.commands);
    this.firewall = new IptablesFirewall(this.commands);
    this.dhcp = new DhcpServers(this.commands, plugger, settings.stateDirectory);
    this.routers = new Routers(this.commands, plugger, settings.stateDirectory);
  }

  protected async prepareHost(): Promise<L2Capabilities> {
    const { networkTypes, notes } = await this.started();
    return { networkTypes, notes };
  }


  /** The host is checked once; a failed check is tried again on the next call. */
  private started(): Promise<HostCheck> {
    this.capabilities ??= this.checkHost().catch((error: unknown) => {
      this.capabilities = undefined;
      throw error;
    });
    return this.capabilities;
  }

  private async checkHost(): Promise<HostCheck> {
    for (const { tool, versionFlag, debianPackage } of REQUIRED_TOOLS) {
      await this.commands.runOnMachine(tool, [versionFlag]).catch((error: unknown) => {
        throw new Error(`the linuxbridge driver needs ${tool} (Debian package ${debianPackage}): ${(error as Error).message}`);
      });
    }
    await this.firewall.start();
    const networkTypes: NetworkType[] = ['local', 'flat'];
    const notes: string[] = [];
    if (this.settings.tunnelIp !== undefined && this.settings.tunnelInterface !== undefined) {
      networkTypes.push('vxlan');
    } else {
      notes.push('no VXLAN networks: tunnelIp and tunnelInterface are not both set');
    }
    const vlanUnavailable = await this.probeVlan();
    if (vlanUnavailable === undefined) {
      networkTypes.push('vlan');
    } else {
      notes.push(`no VLAN networks: ${vlanUnavailable}`);
    }
    return { networkTypes, notes, vlanUnavailable };
  }

  /** Tries to make an 802.1q device on a scratch bridge: why it failed, or undefined when VLANs work here. */
  private async probeVlan(): Promise<string | undefined> {
    await deleteLink(this.commands, VLAN_PROBE_BRIDGE);
    await this.commands.run('ip', ['link', 'add', 'name', VLAN_PROBE_BRIDGE, 'type', 'bridge']);
    try {
      await this.commands.run('ip', ['link', 'add', 'link', VLAN_PROBE_BRIDGE, 'name', `${VLAN_PROBE_BRIDGE}.1`, 'type', 'vlan', 'id', '1']);
      return undefined;
    } catch (error) {
      const reason = error instanceof HostCommandError ? error.stderr.trim() : (error as Error).message;
      return `this kernel cannot make 802.1q VLAN devices (${reason})`;
    } finally {
      // Takes the VLAN device with it.
      await this.commands.run('ip', ['link', 'delete', VLAN_PROBE_BRIDGE]);
    }
  }

  protected async applyState(state: HostState): Promise<ApplyResult> {
    const { vlanUnavailable } = await this.started();
    const plans = planNetworks(segmentsOf(state), this.settings, state.tunnelPeers, vlanUnavailable);
    const plansById = new Map(plans.wired.map((plan) => [plan.segment.networkId, plan]));
    const links = await this.removeStale(state, plansById);
    // Rules before taps: a new port is filtered from its first packet.
    const ports = state.ports.filter((port) => plansById.has(port.networkId));
    const firewallFailure = await this.firewall.apply(ports, state.securityGroups).then(
      () => undefined,
      (error: Error) => `its security group rules could not be applied: ${error.message}`,
    );
    const networkFailures = await this.wireNetworks(plans, links);
    const outcomes: LegOutcome[] = [];
    for (const port of state.ports) {
      const blocked = networkFailures.get(port.networkId) ?? (port.portSecurityEnabled ? firewallFailure : undefined);
      outcomes.push(await this.wirePort(port, plansById.get(port.networkId), blocked, links.get(deviceName('tap', port.id))));
    }
    outcomes.push(...(await this.wireLegs(state, networkFailures)));
    return toApplyResult(outcomes);
  }

  /**
   * What is gone goes first, so no tap outlives its rules and stale legs leave the bridges: taps of
   * ports no longer here, and network devices of networks no longer here (or not wireable).
   * Returns the host's devices as they were.
   */
  private async removeStale(state: HostState, plansById: ReadonlyMap<string, NetworkPlan>): Promise<Map<string, Link>> {
    const wantedTaps = new Set([...state.ports, ...legPortsOf(state)].filter((port) => plansById.has(port.networkId)).map((port) => deviceName('tap', port.id)));
    const wantedDevices = new Set([...plansById.values()].flatMap(ownDevicesOf));
    const links = await listLinks(this.commands);
    await this.deleteLinks(links.filter((link) => this.ownsTap(link) && !wantedTaps.has(link.name)));
    await this.deleteNetworkDevices(links.filter(({ name }) => isNetworkDevice(name, this.settings) && !wantedDevices.has(name)));
    return new Map(links.map((link) => [link.name, link]));
  }

  /** Makes each planned network's bridge and uplink; says why each network that is not wired is not. */
  private async wireNetworks(plans: NetworkPlans, links: ReadonlyMap<string, Link>): Promise<Map<string, string>> {
    const failures = new Map(plans.failures);
    for (const plan of plans.wired) {
      try {
        await wireNetwork(this.commands, links, plan);
      } catch (error) {
        failures.set(plan.segment.networkId, (error as Error).message);
      }
    }
    return failures;
  }

  /** DHCP servers and routers; a leg on a network that is not wired fails for the network's reason, not for its missing bridge. */
  private async wireLegs(state: HostState, networkFailures: ReadonlyMap<string, string>): Promise<LegOutcome[]> {
    const networkOf = new Map(legPortsOf(state).map((port) => [port.id, port.networkId]));
    const outcomes = [...(await this.dhcp.apply(state.dhcp)), ...(await this.routers.apply(state.routers))];
    return outcomes.map((outcome) => {
      const networkId = networkOf.get(outcome.portId);
      const networkFailure = networkId === undefined ? undefined : networkFailures.get(networkId);
      return outcome.failure === undefined || networkFailure === undefined ? outcome : { portId: outcome.portId, failure: networkFailure };
    });
  }

  /** A tap for a hypervisor, or a veth into the instance's namespace, on the network's bridge. */
  private async wirePort(port: PortSpec, plan: NetworkPlan | undefined, blocked: string | undefined, current: Link | undefined): Promise<LegOutcome> {
    if (blocked !== undefined) {
      return { portId: port.id, failure: blocked };
    }
    if (plan === undefined) {
      return { portId: port.id, failure: `its network ${port.networkId} is not among the host's networks` };
    }
    const name = deviceName('tap', port.id);
    const attachment = { bridge: plan.bridge, mtu: plan.segment.mtu, up: port.adminStateUp };
    try {
      if (port.device.kind === 'tap') {
        await ensureTap(this.commands, name, current, attachment);
      } else {
        await ensureVeth(this.commands, name, current, attachment, { namespace: port.device.namespace, name: 'eth0', macAddress: port.macAddress });
      }
      return { portId: port.id };
    } catch (error) {
      return { portId: port.id, failure: (error as Error).message };
    }
  }

  protected async removeEverything(): Promise<void> {
    await this.routers.removeAll();
    await this.dhcp.removeAll();
    const links = await listLinks(this.commands);
    await this.deleteLinks(links.filter((link) => this.ownsTap(link)));
    await this.deleteNetworkDevices(links.filter(({ name }) => isNetworkDevice(name, this.settings)));
    await this.firewall.removeAll();
  }

  /**
   * A port's tap this agent made: named for a port and on one of its bridges (or on none, when
   * wiring stopped half-way). Another tap of that name on another bridge is someone else's.
   */
  private ownsTap(link: Link): boolean {
    return isPortTap(link.name) && (link.master === undefined || isNetworkDevice(link.master, this.settings));
  }

  private async deleteLinks(links: readonly Link[]): Promise<void> {
    for (const { name } of links) {
      await this.commands.run('ip', ['link', 'delete', name]);
    }
  }

  /** Tunnel and VLAN devices before the bridges they are on (deleting a bridge only frees its ports). */
  private async deleteNetworkDevices(links: readonly Link[]): Promise<void> {
    await this.deleteLinks(links.filter(({ kind }) => kind !== 'bridge'));
    await this.deleteLinks(links.filter(({ kind }) => kind === 'bridge'));
  }
}

/** The ports of the DHCP servers and of the routers served (admin-up ones). */
function legPortsOf(state: HostState): PortSpec[] {
  const routers = state.routers.filter((router) => router.adminStateUp);
  return [...state.dhcp.map(({ port }) => port), ...routers.flatMap(routerInterfaces).map(({ port }) => port)];
}

/** Every network the host needs: those of its ports, and those its DHCP servers and routers serve. */
function segmentsOf(state: HostState): NetworkSegment[] {
  const byId = new Map<string, NetworkSegment>();
  for (const segment of [...state.networks, ...state.dhcp.map(({ network }) => network), ...state.routers.flatMap(routerInterfaces).map(({ network }) => network)]) {
    if (!byId.has(segment.networkId)) {
      byId.set(segment.networkId, segment);
    }
  }
  return [...byId.values()];
}

function toApplyResult(outcomes: readonly LegOutcome[]): ApplyResult {
  return {
    wiredPorts: outcomes.filter(({ failure }) => failure === undefined).map(({ portId }) => portId),
    failedPorts: outcomes.flatMap(({ portId, failure }) => (failure === undefined ? [] : [{ portId, reason: failure }])),
  };
}
