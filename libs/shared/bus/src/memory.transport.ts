import { randomUUID } from 'node:crypto';
import { BusUnavailableError } from './bus.errors';
import { matchesEventPattern } from './event-pattern';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  MessageBus,
  type BusHandler,
  type BusLogger,
  type BusSubscription,
  type CallOptions,
  type SendOptions,
  type ServeOptions,
} from './message-bus';
import { dispatchEvent, dispatchRequest } from './message-dispatch';
import {
  assertEventName,
  assertEventPattern,
  assertTopic,
  decodeReply,
  encodeRequest,
  newRequest,
  versionChecked,
} from './message-envelope';
import { PendingCalls } from './pending-calls';

interface QueuedMessage {
  body: string;
  /** Deliveries so far. */
  deliveries: number;
  /** Calls only: hands the encoded reply back to the caller's bus. */
  reply?: (body: string) => void;
}

type Consumer = (message: QueuedMessage) => void;

/** A topic's queue: messages wait until a server consumes them; servers take turns. */
interface MemoryQueue {
  backlog: QueuedMessage[];
  consumers: Consumer[];
  next: number;
}

interface Subscriber {
  pattern: string;
  deliver(body: string): void;
}

/** The in-process broker. Every bus created with the same `memory://<name>` in a process shares one. */
export class MemoryBroker {
  private static readonly brokers = new Map<string, MemoryBroker>();
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly subscribers = new Set<Subscriber>();

  static named(name: string): MemoryBroker {
    let broker = MemoryBroker.brokers.get(name);
    if (broker === undefined) {
      broker = new MemoryBroker();
      MemoryBroker.brokers.set(name, broker);
    }
    return broker;
  }

  enqueue(topic: string, message: QueuedMessage): void {
    this.queue(topic).backlog.push(message);
    this.drainSoon(topic);
  }

  /** Returns the function that stops consuming. */
  consume(topic: string, consumer: Consumer): () => void {
    const queue = this.queue(topic);
    queue.consumers.push(consumer);
    this.drainSoon(topic);
    return () => {
      queue.consumers = queue.consumers.filter((other) => other !== consumer);
    };
  }

  publish(event: string, body: string): void {
    // Routed now, as an exchange would; a subscriber that has gone by delivery time misses it.
    for (const subscriber of this.subscribers) {
      if (matchesEventPattern(subscriber.pattern, event)) {
        setImmediate(() => {
          if (this.subscribers.has(subscriber)) {
            subscriber.deliver(body);
          }
        });
      }
    }
  }

  /** Returns the function that ends the subscription. */
  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  private queue(topic: string): MemoryQueue {
    let queue = this.queues.get(topic);
    if (queue === undefined) {
      queue = { backlog: [], consumers: [], next: 0 };
      this.queues.set(topic, queue);
    }
    return queue;
  }

  private drainSoon(topic: string): void {
    // Never deliver inside the sender's call stack: handlers must not run before cast() returns.
    setImmediate(() => this.drain(topic));
  }

  private drain(topic: string): void {
    const queue = this.queue(topic);
    while (queue.consumers.length > 0) {
      const message = queue.backlog.shift();
      if (message === undefined) {
        return;
      }
      const index = queue.next % queue.consumers.length;
      queue.next = index + 1;
      queue.consumers[index](message);
    }
  }
}

/** The in-process transport for all-in-one deployments and tests; same semantics as AMQP. */
export class MemoryMessageBus extends MessageBus {
  private readonly calls = new PendingCalls();
  private readonly subscriptions = new Set<BusSubscription>();
  private closed = false;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly logger: BusLogger,
  ) {
    super();
  }

  override async call<T = unknown>(topic: string, pattern: string, payload: unknown, options: CallOptions = {}): Promise<T> {
    this.assertOpen();
    assertTopic(topic);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const body = encodeRequest(newRequest(pattern, payload, options, Date.now() + timeoutMs));
    const correlationId = randomUUID();
    const reply = this.calls.add(correlationId, `${topic} ${pattern}`, timeoutMs);
    this.broker.enqueue(topic, { body, deliveries: 0, reply: (text) => this.onReply(correlationId, text) });
    return (await reply) as T;
  }

  override async cast(topic: string, pattern: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    this.assertOpen();
    assertTopic(topic);
    this.broker.enqueue(topic, { body: encodeRequest(newRequest(pattern, payload, options)), deliveries: 0 });
  }

  override async publish(event: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    this.assertOpen();
    assertEventName(event);
    this.broker.publish(event, encodeRequest(newRequest(event, payload, options)));
  }

  override async serve(topic: string, served: Record<string, BusHandler>, options?: ServeOptions): Promise<BusSubscription> {
    this.assertOpen();
    assertTopic(topic);
    const handlers = Object.fromEntries(Object.entries(served).map(([pattern, handler]) => [pattern, versionChecked(handler, options)]));
    return this.track(this.broker.consume(topic, (message) => void this.onRequest(topic, handlers, message)));
  }

  override async subscribe(eventPattern: string, subscriber: BusHandler, options?: ServeOptions): Promise<BusSubscription> {
    this.assertOpen();
    assertEventPattern(eventPattern);
    const handler = versionChecked(subscriber, options);
    // In-process there is nowhere to keep dead letters: dispatchEvent has logged the failure.
    const deliver = (body: string): void => void dispatchEvent(eventPattern, handler, body, this.logger);
    return this.track(this.broker.subscribe({ pattern: eventPattern, deliver }));
  }

  override async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.calls.failAll(new BusUnavailableError('Message bus closed'));
    for (const subscription of [...this.subscriptions]) {
      await subscription.close();
    }
  }

  private async onRequest(topic: string, handlers: Record<string, BusHandler>, message: QueuedMessage): Promise<void> {
    message.deliveries += 1;
    const delivery = { isCall: message.reply !== undefined, deliveries: message.deliveries };
    const settlement = await dispatchRequest(topic, handlers, message.body, delivery, this.logger);
    switch (settlement.action) {
      case 'ack':
        if (settlement.reply !== undefined) {
          message.reply?.(settlement.reply);
        }
        return;
      case 'requeue':
        this.broker.enqueue(topic, message);
        return;
      case 'dead-letter':
        // In-process there is nowhere to keep dead letters: dispatchRequest has logged the failure.
        return;
    }
  }

  private onReply(correlationId: string, text: string): void {
    const reply = decodeReply(text);
    if (reply === undefined) {
      this.logger.warn(`bus: malformed reply to call ${correlationId} dropped`);
      return;
    }
    this.calls.settle(correlationId, reply);
  }

  private track(stop: () => void): BusSubscription {
    const subscription: BusSubscription = {
      close: async () => {
        stop();
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new BusUnavailableError('Message bus is closed');
    }
  }
}
