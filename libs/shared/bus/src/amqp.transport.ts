import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import { BusUnavailableError } from './bus.errors';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  MAX_DELIVERIES,
  MessageBus,
  type BusHandler,
  type BusLogger,
  type BusSubscription,
  type CallOptions,
  type SendOptions,
  type ServeOptions,
} from './message-bus';
import { dispatchEvent, dispatchRequest, type Settlement } from './message-dispatch';
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

/** Calls and casts, routed by topic to the durable queue `overcast.<topic>`. */
export const EXCHANGE = 'overcast';
/** Events, routed by event name to one queue per subscription. */
export const EVENTS_EXCHANGE = 'overcast.events';
/** Exchange and queue (bound with `#`) for messages no handler could process; routing keys are kept. */
export const DEAD_LETTER = 'overcast.dead-letter';

/** Unacknowledged messages per consumer: bounds the handlers running at once for one serve/subscribe. */
const PREFETCH = 16;
/** How long a cast or publish waits for the broker to come back before it fails. */
const PUBLISH_TIMEOUT_MS = 30_000;
const RECONNECT_MIN_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 5_000;
const JSON_CONTENT = 'application/json';

/** The confirm channel of the current connection and the topic queues declared through it. */
interface Link {
  publisher: ConfirmChannel;
  declaredTopics: Map<string, Promise<void>>;
}

/**
 * RabbitMQ transport on amqplib: one connection, a confirm channel for publishing, one channel per
 * consumer with prefetch and manual acks. Reconnects with backoff after the connection drops,
 * re-declaring the topology and consumers; sends issued meanwhile wait for the new connection.
 */
export class AmqpMessageBus extends MessageBus {
  private connection?: ChannelModel;
  private link?: Link;
  /** Fires when a connection is established or the bus closes, waking sends and the backoff. */
  private readonly stateChanged = new Signal();
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly calls = new PendingCalls();
  private readonly replyQueue = `overcast.reply.${randomUUID()}`;
  private closing = false;
  private reconnecting?: Promise<void>;

  /** Resolves once connected; rejects if the broker cannot be reached now (the process supervisor retries). */
  static async connect(url: string, logger: BusLogger): Promise<AmqpMessageBus> {
    const bus = new AmqpMessageBus(url, logger);
    await bus.open();
    return bus;
  }

  private constructor(
    private readonly url: string,
    private readonly logger: BusLogger,
  ) {
    super();
    this.consumers.add(
      this.consumer(
        (channel) => this.declareReplyQueue(channel),
        (message, channel) => this.onReply(message, channel),
      ),
    );
  }

  override async call<T = unknown>(topic: string, pattern: string, payload: unknown, options: CallOptions = {}): Promise<T> {
    this.assertOpen();
    assertTopic(topic);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const body = encodeRequest(newRequest(pattern, payload, options, deadline));
    const correlationId = randomUUID();
    const reply = this.calls.add(correlationId, `${topic} ${pattern}`, timeoutMs);
    const properties = { ...requestProperties(pattern), correlationId, replyTo: this.replyQueue };
    this.send(EXCHANGE, topic, body, properties, deadline, topic).catch((error: Error) =>
      this.calls.fail(correlationId, error),
    );
    return (await reply) as T;
  }

  override async cast(topic: string, pattern: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    this.assertOpen();
    assertTopic(topic);
    const body = encodeRequest(newRequest(pattern, payload, options));
    await this.send(EXCHANGE, topic, body, requestProperties(pattern), Date.now() + PUBLISH_TIMEOUT_MS, topic);
  }

  override async publish(event: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    this.assertOpen();
    assertEventName(event);
    const body = encodeRequest(newRequest(event, payload, options));
    // Subscription queues do not outlive their connection, so persisting events would buy nothing.
    const properties = { ...requestProperties(event), persistent: false };
    await this.send(EVENTS_EXCHANGE, event, body, properties, Date.now() + PUBLISH_TIMEOUT_MS);
  }

  override async serve(topic: string, served: Record<string, BusHandler>, options?: ServeOptions): Promise<BusSubscription> {
    this.assertOpen();
    assertTopic(topic);
    const handlers = Object.fromEntries(Object.entries(served).map(([pattern, handler]) => [pattern, versionChecked(handler, options)]));
    return this.addConsumer(
      this.consumer(
        (channel) => declareTopicQueue(channel, topic),
        (message, channel) => this.onRequest(topic, handlers, message, channel),
      ),
    );
  }

  override async subscribe(eventPattern: string, subscriber: BusHandler, options?: ServeOptions): Promise<BusSubscription> {
    this.assertOpen();
    assertEventPattern(eventPattern);
    const handler = versionChecked(subscriber, options);
    // Named after the pattern so operators can tell subscriptions apart; kept across reconnections.
    const queue = `${EVENTS_EXCHANGE}.${eventPattern}.${randomUUID()}`;
    return this.addConsumer(
      this.consumer(
        async (channel) => {
          // Exclusive: the queue lives as long as this connection, so a crashed process leaves no queue behind.
          await channel.assertQueue(queue, {
            exclusive: true,
            durable: false,
            arguments: { 'x-dead-letter-exchange': DEAD_LETTER },
          });
          await channel.bindQueue(queue, EVENTS_EXCHANGE, eventPattern);
          return queue;
        },
        async (message, channel) => {
          const settlement = await dispatchEvent(eventPattern, handler, message.content.toString(), this.logger);
          this.settle(channel, message, settlement);
        },
      ),
    );
  }

  override async close(): Promise<void> {
    if (this.closing) {
      return;
    }
    this.closing = true;
    this.stateChanged.fire();
    // A reconnection attempt in flight may still establish a connection; it is closed below.
    await this.reconnecting;
    this.calls.failAll(new BusUnavailableError('Message bus closed'));
    for (const consumer of this.consumers) {
      await consumer.close();
    }
    this.consumers.clear();
    const connection = this.connection;
    this.connection = undefined;
    this.link = undefined;
    if (connection !== undefined) {
      await closeQuietly(connection);
    }
  }

  /** Connects, declares the topology and attaches every consumer; the connection is kept only if all succeeds. */
  private async open(): Promise<void> {
    const connection = await connect(this.url, {
      clientProperties: { connection_name: `overcast ${hostname()} pid ${process.pid}` },
    });
    let lost = false;
    connection.on('error', (error: Error) => this.logger.warn(`bus: broker connection error: ${error.message}`));
    connection.on('close', () => {
      lost = true;
      this.onConnectionClosed(connection);
    });
    try {
      const publisher = await connection.createConfirmChannel();
      publisher.on('error', (error: Error) => this.restart(connection, `publisher channel failed: ${error.message}`));
      publisher.on('close', () => {
        if (this.link?.publisher === publisher) {
          this.link = undefined;
        }
      });
      await declareTopology(publisher);
      // Publishing may start before the consumers are back: handlers attached below send replies
      // through it. If the connection fails meanwhile, the publisher's close handler withdraws it.
      this.link = { publisher, declaredTopics: new Map() };
      this.stateChanged.fire();
      for (const consumer of this.consumers) {
        await consumer.attach(connection);
      }
      if (lost || this.link?.publisher !== publisher) {
        throw new Error('connection or publisher channel closed while being set up');
      }
      this.connection = connection;
    } catch (error) {
      await closeQuietly(connection);
      throw error;
    }
  }

  private onConnectionClosed(connection: ChannelModel): void {
    // A connection that failed during open() is reported by open() itself.
    if (connection !== this.connection) {
      return;
    }
    this.connection = undefined;
    this.link = undefined;
    if (this.closing) {
      return;
    }
    this.logger.warn('bus: lost the broker connection; reconnecting');
    this.reconnecting = this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      await this.stateChanged.wait(reconnectDelay(attempt));
      if (this.closing) {
        return;
      }
      try {
        await this.open();
        this.logger.info(`bus: reconnected to the broker (attempt ${attempt})`);
        return;
      } catch (error) {
        this.logger.warn(`bus: reconnection attempt ${attempt} failed: ${errorText(error)}`);
      }
    }
  }

  /**
   * A channel failed while its connection lives on (e.g. an operator deleted a queue): start over
   * on a new connection. During open() this makes open() fail, and it is retried.
   */
  private restart(connection: ChannelModel, reason: string): void {
    if (this.closing) {
      return;
    }
    this.logger.warn(`bus: ${reason}; reconnecting`);
    void closeQuietly(connection);
  }

  /** Publishes with confirmation; if the connection drops first, publishes again once reconnected. */
  private async send(
    exchange: string,
    routingKey: string,
    body: string,
    properties: Options.Publish,
    deadline: number,
    topic?: string,
  ): Promise<void> {
    const content = Buffer.from(body);
    for (;;) {
      const link = await this.linkBefore(deadline);
      try {
        if (topic !== undefined) {
          await this.declareTopic(link, topic);
        }
        await new Promise<void>((resolve, reject) => {
          link.publisher.publish(exchange, routingKey, content, properties, (error: unknown) => {
            if (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            } else {
              resolve();
            }
          });
        });
        return;
      } catch (error) {
        if (this.link === link) {
          // The channel is fine, so the broker refused the message: sending it again would not help.
          throw error;
        }
        this.logger.warn(`bus: connection lost before the broker confirmed a message to ${routingKey}; resending`);
      }
    }
  }

  private async linkBefore(deadline: number): Promise<Link> {
    for (;;) {
      if (this.closing) {
        throw new BusUnavailableError('Message bus is closed');
      }
      if (this.link !== undefined) {
        return this.link;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new BusUnavailableError('Message broker unreachable; message not sent');
      }
      await this.stateChanged.wait(remaining);
    }
  }

  /**
   * Senders declare the topic queue too, so a cast sent before any server of the topic has started
   * waits in the queue instead of being dropped by the exchange.
   */
  private declareTopic(link: Link, topic: string): Promise<void> {
    let declared = link.declaredTopics.get(topic);
    if (declared === undefined) {
      declared = declareTopicQueue(link.publisher, topic).then(() => undefined);
      link.declaredTopics.set(topic, declared);
    }
    return declared;
  }

  private async declareReplyQueue(channel: Channel): Promise<string> {
    // Exclusive, so it goes away with the connection; re-declared under the same name on reconnection.
    await channel.assertQueue(this.replyQueue, { exclusive: true, durable: false });
    return this.replyQueue;
  }

  private async onRequest(
    topic: string,
    handlers: Record<string, BusHandler>,
    message: ConsumeMessage,
    channel: Channel,
  ): Promise<void> {
    const { replyTo, correlationId } = message.properties as { replyTo?: unknown; correlationId?: unknown };
    const delivery = {
      isCall: typeof replyTo === 'string' && typeof correlationId === 'string',
      deliveries: deliveryCount(message),
    };
    const settlement = await dispatchRequest(topic, handlers, message.content.toString(), delivery, this.logger);
    if (settlement.action === 'ack' && settlement.reply !== undefined) {
      await this.sendReply(String(replyTo), String(correlationId), settlement.reply);
    }
    this.settle(channel, message, settlement);
  }

  private async sendReply(replyTo: string, correlationId: string, reply: string): Promise<void> {
    try {
      // No waiting for a reconnection: the request was delivered on this connection and will be redelivered.
      await this.send('', replyTo, reply, { correlationId, contentType: JSON_CONTENT }, Date.now());
    } catch (error) {
      this.logger.warn(`bus: reply to call ${correlationId} not sent: ${errorText(error)}`);
    }
  }

  private async onReply(message: ConsumeMessage, channel: Channel): Promise<void> {
    const reply = decodeReply(message.content.toString());
    const correlationId: unknown = message.properties.correlationId;
    if (reply === undefined || typeof correlationId !== 'string') {
      this.logger.warn('bus: malformed reply dropped');
    } else {
      this.calls.settle(correlationId, reply);
    }
    this.settle(channel, message, { action: 'ack' });
  }

  private settle(channel: Channel, message: ConsumeMessage, settlement: Settlement): void {
    try {
      switch (settlement.action) {
        case 'ack':
          channel.ack(message);
          return;
        case 'requeue':
          channel.nack(message, false, true);
          return;
        case 'dead-letter':
          // The queue's dead-letter exchange takes it (overcast.dead-letter).
          channel.nack(message, false, false);
          return;
      }
    } catch (error) {
      // The channel went down with its connection; the broker redelivers the message.
      this.logger.warn(`bus: message not settled (${errorText(error)}); it will be redelivered`);
    }
  }

  private consumer(
    declare: (channel: Channel) => Promise<string>,
    onMessage: (message: ConsumeMessage, channel: Channel) => Promise<void>,
  ): AmqpConsumer {
    return new AmqpConsumer(declare, onMessage, (connection, reason) => this.restart(connection, reason), this.logger);
  }

  private async addConsumer(consumer: AmqpConsumer): Promise<BusSubscription> {
    this.consumers.add(consumer);
    const connection = this.connection;
    if (connection !== undefined) {
      try {
        await consumer.attach(connection);
      } catch (error) {
        if (this.connection === connection) {
          this.consumers.delete(consumer);
          throw error;
        }
        // The connection dropped meanwhile; reconnection attaches the consumer.
      }
    }
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new BusUnavailableError('Message bus is closed');
    }
  }
}

/**
 * A queue consumer that outlives connections: `attach` gives it a channel, its queue and a consumer
 * on the given connection; the bus calls it again after every reconnection.
 */
class AmqpConsumer {
  private channel?: Channel;
  private consumerTag?: string;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly declare: (channel: Channel) => Promise<string>,
    private readonly onMessage: (message: ConsumeMessage, channel: Channel) => Promise<void>,
    private readonly onBroken: (connection: ChannelModel, reason: string) => void,
    private readonly logger: BusLogger,
  ) {}

  async attach(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    let attached = false;
    // Before it is attached, a channel error rejects the set-up call below, which reports it.
    channel.on('error', (error: Error) => {
      if (attached) {
        this.onBroken(connection, `consumer channel failed: ${error.message}`);
      }
    });
    await channel.prefetch(PREFETCH);
    const queue = await this.declare(channel);
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (message === null) {
        this.onBroken(connection, `the broker cancelled the consumer of ${queue}`);
        return;
      }
      const work = this.onMessage(message, channel)
        .catch((error: unknown) => this.logger.error(`bus: message handling failed: ${errorText(error)}`))
        .finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    });
    attached = true;
    if (this.closed) {
      // close() ran while we were attaching.
      await closeQuietly(channel);
      return;
    }
    this.channel = channel;
    this.consumerTag = consumerTag;
  }

  /** Stops consuming, lets running handlers settle their messages, then closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    const { channel, consumerTag } = this;
    if (channel === undefined || consumerTag === undefined) {
      return;
    }
    try {
      await channel.cancel(consumerTag);
    } catch {
      // The channel already went down with its connection: there is no consumer left to cancel.
    }
    await Promise.all(this.inFlight);
    await closeQuietly(channel);
  }
}

async function declareTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(DEAD_LETTER, 'topic', { durable: true });
  await channel.assertQueue(DEAD_LETTER, { durable: true });
  await channel.bindQueue(DEAD_LETTER, DEAD_LETTER, '#');
}

async function declareTopicQueue(channel: Channel, topic: string): Promise<string> {
  const queue = `${EXCHANGE}.${topic}`;
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      // Quorum queues count deliveries (x-delivery-count), which bounds retries of a poison message.
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': DEAD_LETTER,
      // Backstop for messages that crash the consumer before it can nack them: the broker
      // dead-letters a message after MAX_DELIVERIES deliveries whatever happened to them.
      'x-delivery-limit': MAX_DELIVERIES - 1,
    },
  });
  await channel.bindQueue(queue, EXCHANGE, topic);
  return queue;
}

function requestProperties(pattern: string): Options.Publish {
  return { persistent: true, contentType: JSON_CONTENT, messageId: randomUUID(), type: pattern };
}

/** Deliveries of this message so far, this one included (quorum queues count earlier ones). */
function deliveryCount(message: ConsumeMessage): number {
  const previous: unknown = message.properties.headers?.['x-delivery-count'];
  return 1 + (typeof previous === 'number' ? previous : 0);
}

function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS * 2 ** (attempt - 1));
  // Jitter, so the agents of a whole cloud do not reconnect in lockstep after a broker restart.
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

async function closeQuietly(closable: Channel | ChannelModel): Promise<void> {
  try {
    await closable.close();
  } catch {
    // Already closed, typically by the broker going away: nothing left to release.
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Lets any number of waiters sleep until the next fire() or their own timeout. */
class Signal {
  private readonly waiters = new Set<() => void>();

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  fire(): void {
    for (const wake of [...this.waiters]) {
      wake();
    }
  }
}
