import { Injectable } from '@nestjs/common';
import { COMPUTE_PROTOCOL_VERSION, computeAgentTopic } from '@overcast/compute/contracts';
import { BusRemoteError, BusTimeoutError, MessageBus, sendVersion } from '@overcast/shared/bus';
import { conflict, currentRequestId, OpenStackError } from '@overcast/shared/core';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';

/** How long an answer from an agent (a console log) may take. */
const CALL_TIMEOUT_MS = 30_000;

/** What the service asks of the compute agent on a host. */
@Injectable()
export class AgentCommands {
  constructor(
    private readonly bus: MessageBus,
    private readonly hosts: ComputeHostsService,
  ) {}

  /** Hands an operation to the host's agent; its outcome comes back on the server topic. */
  async cast(host: string, pattern: string, payload: object): Promise<void> {
    await this.bus.cast(computeAgentTopic(host), pattern, payload, { requestId: currentRequestId(), version: await this.versionFor(host) });
  }

  /** Asks the host's agent and waits for its answer; a failure becomes a 409/503 a user can read. */
  async call<T>(host: string, pattern: string, payload: object): Promise<T> {
    try {
      return await this.bus.call<T>(computeAgentTopic(host), pattern, payload, { requestId: currentRequestId(), timeoutMs: CALL_TIMEOUT_MS, version: await this.versionFor(host) });
    } catch (error) {
      if (error instanceof BusTimeoutError) {
        throw new OpenStackError('serviceUnavailable', `The compute agent on ${host} did not answer.`);
      }
      if (error instanceof BusRemoteError) {
        throw conflict(`The compute agent on ${host} refused: ${error.message}`);
      }
      throw error;
    }
  }

  /** The version to send the host's agent at: the older of ours and the one it reports at. */
  private async versionFor(host: string): Promise<string> {
    return sendVersion(COMPUTE_PROTOCOL_VERSION, (await this.hosts.findByHost(host))?.busVersion);
  }
}
