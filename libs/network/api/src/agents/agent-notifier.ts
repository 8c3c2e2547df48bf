import { Injectable, Logger } from '@nestjs/common';
import { agentTopic, NETWORK_AGENT_PATTERNS, NETWORK_PROTOCOL_VERSION } from '@overcast/network/contracts';
import { MessageBus, sendVersion } from '@overcast/shared/bus';
import { AgentsService } from './agents.service';

/**
 * Tells the agents that the wiring they should hold changed. Every working agent is told and
 * fetches its own host's state: the state of one host is cheap to compute, and a host that
 * did not change finds nothing to do.
 */
@Injectable()
export class AgentNotifier {
  private readonly logger = new Logger('network');

  constructor(
    private readonly bus: MessageBus,
    private readonly agents: AgentsService,
  ) {}

  async hostsChanged(): Promise<void> {
    // One agent per host serves its topic; the version is that agent's, the older of ours and its own.
    const versions = new Map((await this.agents.working()).map((agent) => [agent.host, sendVersion(NETWORK_PROTOCOL_VERSION, agent.busVersion)]));
    for (const [host, version] of versions) {
      await this.bus.cast(agentTopic(host), NETWORK_AGENT_PATTERNS.hostChanged, {}, { version }).catch((error: unknown) => {
        this.logger.warn(`could not notify the agent on ${host}: ${(error as Error).message}`);
      });
    }
  }
}
