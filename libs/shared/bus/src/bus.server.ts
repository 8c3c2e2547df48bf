import { BaseRpcContext, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { BusHandler, BusMessageMeta, BusSubscription, MessageBus, ServeOptions } from './message-bus';

/** What `@Ctx()` gives a bus handler: the message's metadata (version, request id…). */
export class BusContext extends BaseRpcContext<[BusMessageMeta]> {
  getMeta(): BusMessageMeta {
    return this.args[0];
  }
}

/**
 * Nest transport strategy on a MessageBus: `@MessagePattern(p)` handlers serve calls and casts sent
 * to `topic`, `@EventPattern(e)` handlers subscribe to events matching `e`. Use string patterns.
 * The bus is not closed with the server: whoever created it owns it. `options.version` is what
 * the handlers implement (MessageBus.serve).
 */
export class BusServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: BusSubscription[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly topic: string,
    private readonly options: ServeOptions = {},
  ) {
    super();
  }

  override listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  override async close(): Promise<void> {
    for (const subscription of this.subscriptions.splice(0)) {
      await subscription.close();
    }
  }

  override on(): never {
    throw new Error('BusServer emits no events');
  }

  override unwrap<T>(): T {
    return this.bus as T;
  }

  private async start(): Promise<void> {
    const handlers: Record<string, BusHandler> = {};
    for (const [pattern, handler] of this.messageHandlers) {
      const busHandler: BusHandler = (payload, meta) => invoke(handler, payload, meta);
      if (handler.isEventHandler) {
        this.subscriptions.push(await this.bus.subscribe(pattern, busHandler, this.options));
      } else {
        handlers[pattern] = busHandler;
      }
    }
    if (Object.keys(handlers).length > 0) {
      this.subscriptions.push(await this.bus.serve(this.topic, handlers, this.options));
    }
  }
}

/** Runs a Nest handler (pipes, guards, interceptors, filters included) and unwraps its observable. */
async function invoke(handler: MessageHandler, payload: unknown, meta: BusMessageMeta): Promise<unknown> {
  try {
    const result: unknown = await handler(payload, new BusContext([meta]));
    return isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
  } catch (error) {
    throw toError(error);
  }
}

/**
 * Nest's RPC exception filter turns exceptions into plain objects: an RpcException's error object
 * (use `new RpcException({ name, message })` to send a typed error), or
 * `{ status: 'error', message: 'Internal server error' }` for anything else.
 */
function toError(error: unknown): Error {
  if (error instanceof Error) {
    return error;
  }
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { name, message } = error as { name?: unknown; message: string };
    const converted = new Error(message);
    converted.name = typeof name === 'string' ? name : 'Error';
    return converted;
  }
  return new Error(String(error));
}
