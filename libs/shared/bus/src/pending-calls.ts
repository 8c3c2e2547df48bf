import { BusRemoteError, BusTimeoutError } from './bus.errors';
import type { ReplyEnvelope } from './message-envelope';

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Calls waiting for their reply, by correlation id; each entry is removed on reply, error or timeout. */
export class PendingCalls {
  private readonly calls = new Map<string, PendingCall>();

  add(correlationId: string, what: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(correlationId, new BusTimeoutError(`Call ${what} got no reply within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.calls.set(correlationId, { resolve, reject, timer });
    });
  }

  /** A reply for a call that already timed out is ignored. */
  settle(correlationId: string, reply: ReplyEnvelope): void {
    const call = this.take(correlationId);
    if (call === undefined) {
      return;
    }
    if (reply.ok) {
      call.resolve(reply.result);
    } else {
      call.reject(new BusRemoteError(reply.error.name, reply.error.message));
    }
  }

  fail(correlationId: string, error: Error): void {
    this.take(correlationId)?.reject(error);
  }

  failAll(error: Error): void {
    for (const correlationId of [...this.calls.keys()]) {
      this.fail(correlationId, error);
    }
  }

  get size(): number {
    return this.calls.size;
  }

  private take(correlationId: string): PendingCall | undefined {
    const call = this.calls.get(correlationId);
    if (call !== undefined) {
      clearTimeout(call.timer);
      this.calls.delete(correlationId);
    }
    return call;
  }
}
