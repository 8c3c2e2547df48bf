import { Injectable, Logger } from '@nestjs/common';
import { agentTopic, NETWORK_AGENT_PATTERNS } from '@overcast/network/contracts';
import { MessageBus } from '@overcast/shared/bus';
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
    const hosts = new Set((await this.agents.working()).map((agent) => agent.host));
    for (const host of hosts) {
      await this.bus.cast(agentTopic(host), NETWORK_AGENT_PATTERNS.hostChanged, {}).catch((error: unknown) => {
        this.logger.warn(`could not notify the agent on ${host}: ${(error as Error).message}`);
      });
    }
  }
}
