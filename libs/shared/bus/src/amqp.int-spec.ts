import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEAD_LETTER, EVENTS_EXCHANGE, EXCHANGE } from './amqp.transport';
import { describeBusContract, RecordingLogger, uniqueName, waitFor } from './bus.contract';
import { createMessageBus } from './create-message-bus';
import { MAX_DELIVERIES, type MessageBus } from './message-bus';

const url = process.env['OVERCAST_TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Raw amqplib access for checks and clean-up the bus API does not offer. */
async function withAdminChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await connect(url);
  try {
    return await work(await connection.createConfirmChannel());
  } finally {
    await connection.close();
  }
}

describeBusContract('RabbitMQ', {
  createBus: (logger) => createMessageBus(url, { logger }),
  removeTopics: (topics) =>
    withAdminChannel(async (channel) => {
      for (const topic of topics) {
        await channel.deleteQueue(`${EXCHANGE}.${topic}`);
      }
    }),
});

const rabbitmqctl = async (command: string): Promise<void> => {
  await promisify(execFile)('rabbitmqctl', [command], { timeout: 120_000 });
};

describe('RabbitMQ transport', () => {
  const topics: string[] = [];
  const buses: MessageBus[] = [];
  const connections: ChannelModel[] = [];

  const openBus = async (logger = new RecordingLogger()): Promise<MessageBus> => {
    const bus = await createMessageBus(url, { logger });
    buses.push(bus);
    return bus;
  };
  const topic = (): string => {
    const name = uniqueName('test');
    topics.push(name);
    return name;
  };
  /** An exclusive queue receiving the dead letters of one topic, so parallel runs do not see each other's. */
  const deadLettersOf = async (t: string): Promise<ConsumeMessage[]> => {
    const connection = await connect(url);
    connections.push(connection);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, DEAD_LETTER, t);
    const received: ConsumeMessage[] = [];
    await channel.consume(queue, (message) => message && received.push(message), { noAck: true });
    return received;
  };

  afterEach(async () => {
    for (const bus of buses.splice(0)) {
      await bus.close();
    }
    for (const connection of connections.splice(0)) {
      await connection.close();
    }
  });

  afterAll(async () => {
    // Whatever happened in the restart test, leave the broker running for everyone else.
    await rabbitmqctl('start_app');
    await rabbitmqctl('await_startup');
    await withAdminChannel(async (channel) => {
      for (const t of topics) {
        await channel.deleteQueue(`${EXCHANGE}.${t}`);
      }
    });
  });

  it('declares its exchanges and the dead-letter queue', async () => {
    await openBus();

    await withAdminChannel(async (channel) => {
      for (const exchange of [EXCHANGE, EVENTS_EXCHANGE, DEAD_LETTER]) {
        await expect(channel.checkExchange(exchange)).resolves.toBeDefined();
      }
      await expect(channel.checkQueue(DEAD_LETTER)).resolves.toMatchObject({ queue: DEAD_LETTER });
    });
  });

  it('moves a poison cast to overcast.dead-letter, routed by its topic', async () => {
    const t = topic();
    const deadLetters = await deadLettersOf(t);
    let attempts = 0;
    const server = await openBus();
    const client = await openBus();
    await server.serve(t, {
      'test.things.poison': () => {
        attempts += 1;
        throw new Error('cannot process this');
      },
    });

    await client.cast(t, 'test.things.poison', { id: 'p1' });

    await waitFor('the dead letter', () => deadLetters.length === 1);
    expect(attempts).toBe(MAX_DELIVERIES);
    const [deadLetter] = deadLetters;
    expect(deadLetter.fields.routingKey).toBe(t);
    expect(deadLetter.properties.headers?.['x-first-death-reason']).toBe('rejected');
    expect(JSON.parse(deadLetter.content.toString())).toMatchObject({ pattern: 'test.things.poison', payload: { id: 'p1' } });
  });

  it('dead-letters a malformed message without calling any handler', async () => {
    const t = topic();
    const deadLetters = await deadLettersOf(t);
    const serverLog = new RecordingLogger();
    const server = await openBus(serverLog);
    let handled = 0;
    await server.serve(t, { 'test.things.touch': () => ++handled });

    await withAdminChannel(async (channel) => {
      channel.publish(EXCHANGE, t, Buffer.from('this is not JSON'));
      await channel.waitForConfirms();
    });

    await waitFor('the dead letter', () => deadLetters.length === 1);
    expect(deadLetters[0].content.toString()).toBe('this is not JSON');
    expect(serverLog.has('malformed')).toBe(true);
    expect(handled).toBe(0);
  });

  it('starts over when the broker cancels a consumer, e.g. because an operator deleted its queue', async () => {
    const t = topic();
    const serverLog = new RecordingLogger();
    const server = await openBus(serverLog);
    const client = await openBus();
    const received: unknown[] = [];
    await server.serve(t, { 'test.items.record': (payload: unknown) => received.push(payload) });

    await withAdminChannel((channel) => channel.deleteQueue(`${EXCHANGE}.${t}`));

    await waitFor('the server to reconnect', () => serverLog.has('cancelled') && serverLog.has('reconnected'));
    await client.cast(t, 'test.items.record', { id: 1 });
    await waitFor('the cast', () => received.length === 1);
  });

  it('loses no cast when RabbitMQ restarts in the middle of traffic, then serves calls and events again', async () => {
    const t = topic();
    const event = `${uniqueName('svc')}.items.created`;
    const serverLog = new RecordingLogger();
    const clientLog = new RecordingLogger();
    const server = await openBus(serverLog);
    const client = await openBus(clientLog);
    const handled = new Set<number>(); // at-least-once: a redelivered cast is counted once
    const events: unknown[] = [];
    await server.serve(t, {
      'test.items.record': ({ id }: { id: number }) => handled.add(id),
      'test.items.echo': (payload: unknown) => payload,
    });
    await server.subscribe(event, (payload: unknown) => events.push(payload));

    let nextId = 0;
    const castNext = (): Promise<void> => client.cast(t, 'test.items.record', { id: nextId++ });
    // Broker up.
    while (nextId < 50) {
      await castNext();
    }
    // Keep casting from a few concurrent senders while the broker stops, until the client sees the
    // connection go: the casts in flight at that moment must be sent again after reconnection.
    const stopping = rabbitmqctl('stop_app');
    const connectionLost = (): boolean => clientLog.has('lost the broker connection');
    const sender = async (): Promise<void> => {
      while (!connectionLost()) {
        await castNext();
      }
    };
    const senders = Promise.all([sender(), sender(), sender(), sender()]);
    await stopping;
    // Broker down: these wait for the connection to come back.
    const queued: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      queued.push(castNext());
    }
    await rabbitmqctl('start_app');
    await rabbitmqctl('await_startup');
    await Promise.all([senders, ...queued]);
    const total = nextId;

    await waitFor(`all ${total} casts to be handled`, () => handled.size === total, 60_000);
    expect([...handled].sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
    // Whether a cast was between publish and confirm at the instant the broker went is up to timing
    // (most runs log 'resending'; a CI run once did not): what must hold is that none was lost.
    expect(clientLog.has('reconnected')).toBe(true);
    // The server may handle the backlog before it has re-attached all its consumers.
    await waitFor('the server to reconnect', () => serverLog.has('reconnected'));
    await expect(client.call(t, 'test.items.echo', { after: 'restart' })).resolves.toEqual({ after: 'restart' });
    await client.publish(event, { after: 'restart' });
    await waitFor('the event', () => events.length === 1);
  }, 180_000);
});
