import { randomUUID } from 'node:crypto';
import { BusTimeoutError } from './bus.errors';
import { createMessageBus } from './create-message-bus';
import type { MessageBus } from './message-bus';

describe('createMessageBus', () => {
  const buses: MessageBus[] = [];
  const open = async (url: string): Promise<MessageBus> => {
    const bus = await createMessageBus(url);
    buses.push(bus);
    return bus;
  };

  afterEach(async () => {
    for (const bus of buses.splice(0)) {
      await bus.close();
    }
  });

  it('refuses an unknown scheme without echoing the URL, which may hold credentials', async () => {
    const error: unknown = await createMessageBus('kafka://admin:secret@broker:9092').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('"kafka:"');
    expect((error as Error).message).not.toContain('secret');
  });

  it('rejects when RabbitMQ cannot be reached at start-up', async () => {
    await expect(createMessageBus('amqp://guest:guest@127.0.0.1:1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('shares one in-process broker between buses created with the same name', async () => {
    const name = `memory://${randomUUID()}`;
    const server = await open(name);
    const client = await open(name);
    await server.serve('compute', { 'compute.servers.get': () => 'found' });

    await expect(client.call('compute', 'compute.servers.get', {})).resolves.toBe('found');
  });

  it('keeps in-process brokers with different names apart', async () => {
    const server = await open(`memory://${randomUUID()}`);
    const client = await open(`memory://${randomUUID()}`);
    await server.serve('compute', { 'compute.servers.get': () => 'found' });

    await expect(client.call('compute', 'compute.servers.get', {}, { timeoutMs: 50 })).rejects.toBeInstanceOf(BusTimeoutError);
  });

  it('uses the default in-process broker for memory://', async () => {
    const topic = `compute-${randomUUID()}`;
    const server = await open('memory://');
    const client = await open('memory://default');
    await server.serve(topic, { 'compute.servers.get': () => 'found' });

    await expect(client.call(topic, 'compute.servers.get', {})).resolves.toBe('found');
  });
});
