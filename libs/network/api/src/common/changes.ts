import { Injectable, Logger } from '@nestjs/common';
import { networkEvent, type NetworkAction, type NetworkResource } from '@overcast/network/contracts';
import { MessageBus } from '@overcast/shared/bus';
import { currentRequestId } from '@overcast/shared/core';
import { AgentNotifier } from '../agents/agent-notifier';
import { type View } from './neutron-list';

export interface Change {
  resource: NetworkResource;
  action: NetworkAction;
  view: View;
}

/**
 * What follows a committed change: its events on the bus, then a nudge to the agents so the hosts
 * follow (neutron's postcommit). Neither may undo the change: a failure is logged, and the agents'
 * periodic resync repairs a missed nudge.
 */
@Injectable()
export class ChangeFeed {
  private readonly logger = new Logger('network');

  constructor(
    private readonly bus: MessageBus,
    private readonly agents: AgentNotifier,
  ) {}

  async committed(changes: readonly Change[], options: { wiring?: boolean } = { wiring: true }): Promise<void> {
    const requestId = currentRequestId();
    for (const change of changes) {
      await this.bus.publish(networkEvent(change.resource, change.action), change.view, { requestId }).catch((error: unknown) => {
        this.logger.warn(`could not publish ${networkEvent(change.resource, change.action)}: ${(error as Error).message}`);
      });
    }
    if (options.wiring !== false) {
      await this.agents.hostsChanged();
    }
  }
}
