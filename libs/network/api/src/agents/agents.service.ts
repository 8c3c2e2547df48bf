import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AgentReport } from '@overcast/network/contracts';
import { AgentEntity } from '@overcast/network/data-access';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';

/** Every agent is in Neutron's default zone; zones beyond one are not configurable yet. */
const DEFAULT_AVAILABILITY_ZONE = 'nova';

@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
  ) {}

  /** Records an agent's report (its heartbeat) and its protocol version; a new agent, or one that restarted, gets `started_at` now. */
  async record(report: AgentReport, busVersion: string, firstReport: boolean): Promise<AgentEntity> {
    const now = new Date();
    const repository = this.dataSource.getRepository(AgentEntity);
    const existing = await repository.findOneBy({ host: report.host, agentType: report.agentType });
    const agent =
      existing ??
      repository.create({
        id: randomUUID(),
        host: report.host,
        agentType: report.agentType,
        adminStateUp: true,
        availabilityZone: DEFAULT_AVAILABILITY_ZONE,
        description: '',
        createdAt: now,
        startedAt: now,
      });
    Object.assign(agent, {
      binary: report.binary,
      topic: 'N/A',
      configurations: { driver: report.driver, tunnel_ip: report.tunnelIp ?? null, network_types: report.networkTypes, physical_networks: report.physicalNetworks, dhcp: report.dhcp, l3: report.l3 },
      heartbeatTimestamp: now,
      startedAt: firstReport ? now : agent.startedAt,
      busVersion,
    });
    return repository.save(agent);
  }

  isAlive(agent: AgentEntity): boolean {
    return Date.now() - agent.heartbeatTimestamp.getTime() < this.settings.agentDownSeconds * 1000;
  }

  /** Inside a transaction pass its manager: the embedded database has one session, which the transaction holds. */
  all(manager: EntityManager = this.dataSource.manager): Promise<AgentEntity[]> {
    return manager.find(AgentEntity, { order: { createdAt: 'ASC', host: 'ASC' } });
  }

  /** Agents that reported lately and are not disabled by the admin: the ones that get work. */
  async working(manager?: EntityManager): Promise<AgentEntity[]> {
    return (await this.all(manager)).filter((agent) => agent.adminStateUp && this.isAlive(agent));
  }

  /**
   * Where DHCP servers or routers go: the oldest working agent that offers them (Neutron's one
   * DHCP agent per network; no L3 HA), among `working` when the caller has the list already.
   */
  hostFor(role: 'dhcp' | 'l3', working: AgentEntity[]): string | undefined {
    return working.find((agent) => agent.configurations[role] === true)?.host;
  }

  /** The zones a resource kind is served in: where a working agent runs. */
  async availabilityZones(resource: 'network' | 'router', manager?: EntityManager): Promise<string[]> {
    const role = resource === 'network' ? 'dhcp' : 'l3';
    const zones = (await this.working(manager)).filter((agent) => agent.configurations[role] === true).map((agent) => agent.availabilityZone);
    return [...new Set(zones)];
  }
}
