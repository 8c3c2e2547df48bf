import { Injectable } from '@nestjs/common';
import { VOLUME_PROTOCOL_VERSION, volumeAgentTopic } from '@overcast/block-storage/contracts';
import { type BackendEntity } from '@overcast/block-storage/data-access';
import { BusRemoteError, BusTimeoutError, MessageBus, sendVersion } from '@overcast/shared/bus';
import { badRequest, currentRequestId, OpenStackError } from '@overcast/shared/core';

/** How long an answer from an agent (a connection's info) may take. */
const CALL_TIMEOUT_MS = 60_000;

type AgentBackend = Pick<BackendEntity, 'host' | 'name' | 'busVersion'>;

/** The version to send the backend's agent at: the older of ours and the one it reports at. */
const versionFor = (backend: AgentBackend) => sendVersion(VOLUME_PROTOCOL_VERSION, backend.busVersion);

/** What the service asks of the volume agent that holds a backend. */
@Injectable()
export class AgentCommands {
  constructor(private readonly bus: MessageBus) {}

  /** Hands an operation to the backend's agent; its outcome comes back on the server topic. */
  cast(backend: AgentBackend, pattern: string, payload: object): Promise<void> {
    return this.bus.cast(volumeAgentTopic(backend.host), pattern, { backend: backend.name, ...payload }, { requestId: currentRequestId(), version: versionFor(backend) });
  }

  /** Asks the backend's agent and waits for its answer; a failure becomes a 4xx/5xx a user can read. */
  async call<T>(backend: AgentBackend, pattern: string, payload: object): Promise<T> {
    try {
      return await this.bus.call<T>(volumeAgentTopic(backend.host), pattern, { backend: backend.name, ...payload }, { requestId: currentRequestId(), timeoutMs: CALL_TIMEOUT_MS, version: versionFor(backend) });
    } catch (error) {
      if (error instanceof BusTimeoutError) {
        throw new OpenStackError('serviceUnavailable', `The volume agent on ${backend.host} did not answer.`);
      }
      if (error instanceof BusRemoteError) {
        throw badRequest(`Invalid input received: the volume's backend refused: ${error.message}`);
      }
      throw error;
    }
  }
}
