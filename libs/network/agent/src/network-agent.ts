import {
  type AgentReport,
  agentTopic,
  type HostState,
  NETWORK_AGENT_PATTERNS,
  NETWORK_PROTOCOL_VERSION,
  NETWORK_SERVER_TOPIC,
  type PortStatusReport,
} from '@overcast/network/contracts';
import { type L2Capabilities, type L2Driver } from '@overcast/network/drivers';
import { type BusLogger, type BusSubscription, type MessageBus } from '@overcast/shared/bus';
import { type NetworkAgentSettings } from './network-agent.config';

const AGENT_TYPES = { linuxbridge: 'Linux bridge agent', ovs: 'Open vSwitch agent' } as const;

/** The ports a state asks for that are not the instances': the DHCP servers' and the routers' legs. */
function servicePortIds(state: HostState): string[] {
  return [
    ...state.dhcp.map((dhcp) => dhcp.port.id),
    ...state.routers.flatMap((router) => [...(router.gateway ? [router.gateway.port.id] : []), ...router.interfaces.map((leg) => leg.port.id)]),
  ];
}

/**
 * The network agent of one host (Neutron's L2, DHCP and L3 agents in one): it reports itself,
 * and whenever the server says the host's wiring changed — and at start-up, and every
 * resync interval — it fetches the host's whole state, has the driver apply it and reports which
 * ports are now wired. Applying the whole state each time is what makes a restart or a missed
 * message harmless.
 */
export class NetworkAgent {
  private subscription?: BusSubscription;
  private timers: NodeJS.Timeout[] = [];
  private syncing?: Promise<void>;
  private syncAgain = false;
  private capabilities?: L2Capabilities;

  constructor(
    private readonly bus: MessageBus,
    private readonly driver: L2Driver,
    private readonly settings: NetworkAgentSettings & { host: string },
    private readonly logger: BusLogger,
  ) {}

  async start(): Promise<L2Capabilities> {
    this.capabilities = await this.driver.start();
    for (const note of this.capabilities.notes) {
      this.logger.warn(`network agent (${this.driver.name}): ${note}`);
    }
    const handlers = {
      [NETWORK_AGENT_PATTERNS.hostChanged]: () => this.requestSync(),
      ping: () => ({ host: this.settings.host, role: 'network', time: new Date().toISOString() }),
    };
    this.subscription = await this.bus.serve(agentTopic(this.settings.host), handlers, { version: NETWORK_PROTOCOL_VERSION });
    await this.report();
    await this.requestSync();
    this.timers.push(
      setInterval(() => void this.report().catch((error: unknown) => this.logger.warn(`network agent: report failed: ${(error as Error).message}`)), this.settings.reportIntervalSeconds * 1000),
      setInterval(() => void this.requestSync(), this.settings.resyncIntervalSeconds * 1000),
    );
    return this.capabilities;
  }

  /** What the all-in-one prints about this agent. */
  describe(): string {
    return `${this.driver.name} on ${this.settings.host} (${this.capabilities?.networkTypes.join(', ') ?? 'starting'})`;
  }

  /** Stops taking work; the host's wiring stays, so instances keep their network while the agent is away. */
  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.timers = [];
    await this.subscription?.close();
    await this.syncing;
  }

  /** Runs a sync now, or once more after the running one: requests that arrive meanwhile fold into one. */
  requestSync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.sync().catch((error: unknown) => this.logger.error(`network agent: applying the host's state failed: ${(error as Error).message}`));
      } while (this.syncAgain);
      this.syncing = undefined;
    })();
    return this.syncing;
  }

  private async report(): Promise<void> {
    const report: AgentReport = {
      host: this.settings.host,
      agentType: AGENT_TYPES[this.driver.name],
      binary: 'overcast-network-agent',
      driver: this.driver.name,
      ...(this.settings.tunnelIp ? { tunnelIp: this.settings.tunnelIp } : {}),
      networkTypes: this.capabilities?.networkTypes ?? [],
      physicalNetworks: Object.keys(this.settings.physicalInterfaces),
      dhcp: this.settings.dhcp,
      l3: this.settings.l3,
    };
    await this.bus.cast(NETWORK_SERVER_TOPIC, NETWORK_AGENT_PATTERNS.report, report, { version: NETWORK_PROTOCOL_VERSION });
  }

  private async sync(): Promise<void> {
    const state = await this.bus.call<HostState>(NETWORK_SERVER_TOPIC, NETWORK_AGENT_PATTERNS.getHostState, { host: this.settings.host }, { timeoutMs: 30_000, version: NETWORK_PROTOCOL_VERSION });
    const result = await this.driver.apply(state);
    const failed = new Set(result.failedPorts.map((failure) => failure.portId));
    for (const failure of result.failedPorts) {
      this.logger.warn(`network agent: port ${failure.portId} could not be wired: ${failure.reason}`);
    }
    const status: PortStatusReport = {
      host: this.settings.host,
      active: [...result.wiredPorts, ...servicePortIds(state).filter((id) => !failed.has(id))],
      down: [...failed],
    };
    await this.bus.cast(NETWORK_SERVER_TOPIC, NETWORK_AGENT_PATTERNS.portStatus, status, { version: NETWORK_PROTOCOL_VERSION });
  }
}
