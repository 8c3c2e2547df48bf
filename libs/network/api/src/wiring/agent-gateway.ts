import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AgentReport, NETWORK_AGENT_PATTERNS, NETWORK_PROTOCOL_VERSION, NETWORK_SERVER_TOPIC, type PortStatusReport } from '@overcast/network/contracts';
import { FloatingIpEntity, PortEntity } from '@overcast/network/data-access';
import { type BusMessageMeta, type BusSubscription, MessageBus } from '@overcast/shared/bus';
import { DataSource, In } from 'typeorm';
import { AgentNotifier } from '../agents/agent-notifier';
import { AgentsService } from '../agents/agents.service';
import { ChangeFeed } from '../common/changes';
import { portViews } from '../ports/port-records';
import { DhcpPorts } from '../ports/dhcp-ports';
import { HostStateService } from './host-state.service';

/**
 * The server's side of the agents' protocol, on the `network-server` topic: heartbeats, each
 * host's state on request, and the ports' status as the hosts report it (DOWN → ACTIVE).
 */
@Injectable()
export class AgentGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('network');
  private subscription?: BusSubscription;
  private readonly knownAgents = new Set<string>();

  constructor(
    private readonly bus: MessageBus,
    @InjectDataSource('network') private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
    private readonly notifier: AgentNotifier,
    private readonly hostStates: HostStateService,
    private readonly dhcpPorts: DhcpPorts,
    private readonly changes: ChangeFeed,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = {
      [NETWORK_AGENT_PATTERNS.report]: (report: AgentReport, meta: BusMessageMeta) => this.report(report, meta.version),
      [NETWORK_AGENT_PATTERNS.getHostState]: ({ host }: { host: string }) => this.hostStates.stateOf(host),
      [NETWORK_AGENT_PATTERNS.portStatus]: (report: PortStatusReport) => this.portStatus(report),
    };
    this.subscription = await this.bus.serve(NETWORK_SERVER_TOPIC, handlers, { version: NETWORK_PROTOCOL_VERSION });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  /**
   * A heartbeat, with the protocol version it came at; an agent seen for the first time (or back
   * after a restart of this server) may change where DHCP runs.
   */
  private async report(report: AgentReport, busVersion: string): Promise<void> {
    const key = `${report.agentType}@${report.host}`;
    const first = !this.knownAgents.has(key);
    await this.agents.record(report, busVersion, first);
    if (first) {
      this.knownAgents.add(key);
      this.logger.log(`network agent on ${report.host} (${report.driver}) reported`);
      await this.dhcpPorts.reconcileAll();
      await this.notifier.hostsChanged();
    }
  }

  /** Ports the host wired become ACTIVE, ports it could not wire DOWN; each change is an event. */
  private async portStatus(report: PortStatusReport): Promise<void> {
    const changed: PortEntity[] = [];
    await this.dataSource.transaction(async (manager) => {
      for (const [status, ids] of [['ACTIVE', report.active], ['DOWN', report.down]] as const) {
        const ports = ids.length === 0 ? [] : await manager.findBy(PortEntity, { id: In(ids), bindingHostId: report.host });
        for (const port of ports.filter((candidate) => candidate.status !== status)) {
          port.status = status;
          port.updatedAt = new Date();
          changed.push(await manager.save(port));
        }
      }
      // A floating IP is up when the port behind it is.
      const activePorts = report.active;
      if (activePorts.length > 0) {
        await manager.update(FloatingIpEntity, { fixedPortId: In(activePorts), status: 'DOWN' }, { status: 'ACTIVE' });
      }
    });
    if (changed.length > 0) {
      const views = await portViews(this.dataSource.manager, changed, true);
      await this.changes.committed(views.map((view) => ({ resource: 'port' as const, action: 'update' as const, view })), { wiring: false });
    }
  }
}
