import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { BusRemoteError, BusTimeoutError, BusUnavailableError } from './bus.errors';
import { BusContext, BusServer } from './bus.server';
import { MAX_DELIVERIES, type BusLogger, type BusMessageMeta, type MessageBus } from './message-bus';

/** How a transport's spec plugs into the contract suite. */
export interface BusFixture {
  /** A new bus on the transport's shared broker (each bus stands for a separate process). */
  createBus(logger: BusLogger): Promise<MessageBus>;
  /** Removes what the suite left on the broker for these topics. */
  removeTopics(topics: string[]): Promise<void>;
}

/** Keeps what a bus logged, so tests can wait for a log line instead of sleeping. */
export class RecordingLogger implements BusLogger {
  readonly lines: string[] = [];

  info(...args: unknown[]): void {
    this.lines.push(`info ${args.join(' ')}`);
  }

  warn(...args: unknown[]): void {
    this.lines.push(`warn ${args.join(' ')}`);
  }

  error(...args: unknown[]): void {
    this.lines.push(`error ${args.join(' ')}`);
  }

  has(text: string): boolean {
    return this.lines.some((line) => line.includes(text));
  }
}

/** Polls `condition` until it holds; fails with `what` after the deadline. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A promise with its resolve function, to hold a handler until the test releases it. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
}

/** The behaviour every transport must have. Topics and event names are unique per test (parallel-safe). */
export function describeBusContract(transport: string, fixture: BusFixture): void {
  describe(`MessageBus contract (${transport})`, () => {
    const topics: string[] = [];
    const buses: MessageBus[] = [];
    let serverLog: RecordingLogger;
    let server: MessageBus;
    let client: MessageBus;

    const topic = (prefix = 'test'): string => {
      const name = uniqueName(prefix);
      topics.push(name);
      return name;
    };
    const openBus = async (logger = new RecordingLogger()): Promise<MessageBus> => {
      const bus = await fixture.createBus(logger);
      buses.push(bus);
      return bus;
    };

    beforeEach(async () => {
      serverLog = new RecordingLogger();
      server = await openBus(serverLog);
      client = await openBus();
    });

    afterEach(async () => {
      for (const bus of buses.splice(0)) {
        await bus.close();
      }
    });

    afterAll(async () => {
      await fixture.removeTopics(topics);
    });

    describe('call', () => {
      it('resolves with the handler result', async () => {
        const t = topic();
        await server.serve(t, { 'test.numbers.add': ({ a, b }: { a: number; b: number }) => a + b });

        await expect(client.call(t, 'test.numbers.add', { a: 2, b: 3 })).resolves.toBe(5);
      });

      it('carries payloads and results as JSON', async () => {
        const t = topic();
        await server.serve(t, { 'test.things.echo': (payload: unknown) => ({ payload, at: new Date(0), gone: undefined }) });

        await expect(client.call(t, 'test.things.echo', { when: new Date(1000) })).resolves.toEqual({
          payload: { when: '1970-01-01T00:00:01.000Z' },
          at: '1970-01-01T00:00:00.000Z',
        });
      });

      it('rejects with BusTimeoutError when the reply does not come in time, and ignores the late reply', async () => {
        const t = topic();
        const release = gate();
        let finished = false;
        await server.serve(t, {
          'test.things.slow': async () => {
            await release.opened;
            finished = true;
            return 'late';
          },
          'test.things.fast': () => 'fast',
        });

        await expect(client.call(t, 'test.things.slow', {}, { timeoutMs: 200 })).rejects.toBeInstanceOf(BusTimeoutError);
        release.open();
        await waitFor('the slow handler to finish', () => finished);

        await expect(client.call(t, 'test.things.fast', {})).resolves.toBe('fast');
      });

      it('rejects with BusRemoteError carrying the remote error name and message', async () => {
        const t = topic();
        await server.serve(t, {
          'test.quotas.check': () => {
            throw new QuotaExceededError('Quota exceeded for instances: Requested 1, but already used 10 of 10');
          },
        });

        const error: unknown = await client.call(t, 'test.quotas.check', {}).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(BusRemoteError);
        expect(error).toMatchObject({
          remoteName: 'QuotaExceededError',
          message: 'Quota exceeded for instances: Requested 1, but already used 10 of 10',
        });
      });

      it('rejects a pattern the server has no handler for', async () => {
        const t = topic();
        await server.serve(t, { 'test.things.known': () => 'ok' });

        await expect(client.call(t, 'test.things.unknown', {})).rejects.toMatchObject({
          remoteName: 'BusUnknownPatternError',
        });
      });

      it('is skipped by a server that receives it after its caller stopped waiting', async () => {
        const t = topic();
        let handled = 0;
        await expect(client.call(t, 'test.things.get', {}, { timeoutMs: 100 })).rejects.toBeInstanceOf(BusTimeoutError);

        await server.serve(t, { 'test.things.get': () => ++handled });

        await waitFor('the server to skip the expired call', () => serverLog.has('skipped'));
        expect(handled).toBe(0);
      });
    });

    describe('cast', () => {
      it('resolves before the handler runs: delivery is never synchronous', async () => {
        const t = topic();
        let handled = false;
        await server.serve(t, {
          'test.things.touch': () => {
            handled = true;
          },
        });

        const sent = client.cast(t, 'test.things.touch', {});
        expect(handled).toBe(false);
        await sent;
        await waitFor('the cast to be handled', () => handled);
      });

      it('reaches exactly one of two competing servers', async () => {
        const t = topic();
        const other = await openBus();
        const first = new Set<number>();
        const second = new Set<number>();
        await server.serve(t, { 'test.items.record': ({ id }: { id: number }) => first.add(id) });
        await other.serve(t, { 'test.items.record': ({ id }: { id: number }) => second.add(id) });

        for (let id = 0; id < 20; id++) {
          await client.cast(t, 'test.items.record', { id });
        }

        await waitFor('all 20 casts to be handled', () => first.size + second.size === 20);
        expect(first.size).toBeGreaterThan(0);
        expect(second.size).toBeGreaterThan(0);
        expect(new Set([...first, ...second]).size).toBe(20);
      });

      it('waits in the topic queue until a server serves the topic', async () => {
        const t = topic();
        await client.cast(t, 'test.items.record', { id: 1 });

        const received: unknown[] = [];
        await server.serve(t, { 'test.items.record': (payload: unknown) => received.push(payload) });

        await waitFor('the queued cast', () => received.length === 1);
        expect(received).toEqual([{ id: 1 }]);
      });

      it('reaches only the host of a per-host topic (compute.<host>)', async () => {
        const base = topic('compute');
        const hostA = `${base}.host-a`;
        const hostB = `${base}.host-b`;
        topics.push(hostA, hostB);
        const seen: Record<string, string[]> = { [base]: [], [hostA]: [], [hostB]: [] };
        const hostBus = await openBus();
        for (const [bus, t] of [[server, base], [server, hostA], [hostBus, hostB]] as const) {
          await bus.serve(t, { 'compute.servers.boot': ({ name }: { name: string }) => seen[t].push(name) });
        }

        await client.cast(hostB, 'compute.servers.boot', { name: 'for-b' });
        await waitFor('host B to get its cast', () => seen[hostB].length === 1);
        // Queues are FIFO: once a later cast arrives, an earlier misrouted one would have too.
        await client.cast(hostA, 'compute.servers.boot', { name: 'for-a' });
        await client.cast(base, 'compute.servers.boot', { name: 'for-any' });
        await waitFor('the later casts', () => seen[hostA].length > 0 && seen[base].length > 0);

        expect(seen).toEqual({ [base]: ['for-any'], [hostA]: ['for-a'], [hostB]: ['for-b'] });
      });

      it('goes to the remaining servers once a subscription is closed', async () => {
        const t = topic();
        const other = await openBus();
        const first: number[] = [];
        const second: number[] = [];
        const subscription = await server.serve(t, { 'test.items.record': ({ id }: { id: number }) => first.push(id) });
        await other.serve(t, { 'test.items.record': ({ id }: { id: number }) => second.push(id) });

        await subscription.close();
        for (let id = 0; id < 6; id++) {
          await client.cast(t, 'test.items.record', { id });
        }

        await waitFor('all casts to reach the remaining server', () => second.length === 6);
        expect(first).toEqual([]);
      });

      it('is retried when its handler fails, and handled once it succeeds', async () => {
        const t = topic();
        let attempts = 0;
        await server.serve(t, {
          'test.things.flaky': () => {
            attempts += 1;
            if (attempts === 1) {
              throw new Error('transient failure');
            }
          },
        });

        await client.cast(t, 'test.things.flaky', {});

        await waitFor('the retry', () => attempts === 2);
        expect(serverLog.has('attempt 1 of')).toBe(true);
      });

      it(`is dead-lettered after ${MAX_DELIVERIES} failed deliveries instead of looping forever`, async () => {
        const t = topic();
        let attempts = 0;
        await server.serve(t, {
          'test.things.poison': () => {
            attempts += 1;
            throw new Error('cannot process this');
          },
        });

        await client.cast(t, 'test.things.poison', {});

        await waitFor('the poison cast to be dead-lettered', () => serverLog.has('dead-lettered'));
        expect(attempts).toBe(MAX_DELIVERIES);
      });
    });

    describe('publish', () => {
      it('delivers a copy to every matching subscription, wildcards included', async () => {
        const service = uniqueName('svc');
        const created = `${service}.revocation.created`;
        const deleted = `${service}.other.deleted`;
        const subscriptions = [
          { name: 'exact', bus: server, pattern: created },
          { name: 'exact, second process', bus: client, pattern: created },
          { name: 'one-word wildcard', bus: server, pattern: `${service}.revocation.*` },
          { name: 'multi-word wildcard', bus: server, pattern: `${service}.#` },
          { name: 'other resource', bus: server, pattern: `${service}.other.*` },
        ];
        const received: Record<string, string[]> = {};
        for (const { name, bus, pattern } of subscriptions) {
          received[name] = [];
          await bus.subscribe(pattern, (_payload: unknown, meta: BusMessageMeta) => received[name].push(meta.pattern));
        }

        await client.publish(created, { id: 1 });
        await client.publish(deleted, { id: 2 });
        // Queues are FIFO: once this arrives everywhere, a misrouted earlier event would have too.
        await client.publish(created, { id: 3 });
        await waitFor('the last event', () => received['multi-word wildcard'].length === 3);
        await waitFor('every copy of it', () => subscriptions.slice(0, 3).every(({ name }) => received[name].length === 2));

        expect(received).toEqual({
          exact: [created, created],
          'exact, second process': [created, created],
          'one-word wildcard': [created, created],
          'multi-word wildcard': [created, deleted, created],
          'other resource': [deleted],
        });
      });

      it('dead-letters an event whose handler fails, without affecting other subscriptions', async () => {
        const event = `${uniqueName('svc')}.servers.deleted`;
        const received: unknown[] = [];
        await server.subscribe(event, () => {
          throw new Error('subscriber bug');
        });
        await client.subscribe(event, (payload: unknown) => received.push(payload));

        await client.publish(event, { id: 1 });

        await waitFor('the healthy subscriber', () => received.length === 1);
        await waitFor('the failure to be dead-lettered', () => serverLog.has('dead-lettered'));
      });
    });

    describe('message metadata', () => {
      it('passes version, requestId, pattern and sentAt to the handler', async () => {
        const t = topic();
        const event = `${uniqueName('svc')}.servers.created`;
        const metas: BusMessageMeta[] = [];
        const keep = (_payload: unknown, meta: BusMessageMeta): string => {
          metas.push(meta);
          return meta.version;
        };
        await server.serve(t, { 'test.servers.get': keep, 'test.servers.boot': keep }, { version: '2.1' });
        await server.subscribe(event, keep, { version: '1.3' });
        const requestId = `req-${randomUUID()}`;
        const before = Date.now();

        await expect(client.call(t, 'test.servers.get', {}, { version: '2.1', requestId })).resolves.toBe('2.1');
        await client.cast(t, 'test.servers.boot', {});
        await client.publish(event, {}, { version: '1.3', requestId });
        await waitFor('the cast and the event', () => metas.length === 3);

        const byPattern = Object.fromEntries(metas.map((meta) => [meta.pattern, meta]));
        expect(byPattern['test.servers.get']).toMatchObject({ version: '2.1', requestId });
        expect(byPattern['test.servers.boot']).toMatchObject({ version: '1.0' });
        expect(byPattern['test.servers.boot'].requestId).toBeUndefined();
        expect(byPattern[event]).toMatchObject({ version: '1.3', requestId });
        for (const meta of metas) {
          expect(Date.parse(meta.sentAt)).toBeGreaterThanOrEqual(before - 1000);
        }
      });

      it('is taken at the served version, an older minor or the previous major, and refused when newer, naming both versions; a newer cast is dead-lettered at once', async () => {
        const t = topic();
        const event = `${uniqueName('svc')}.servers.created`;
        const handled: string[] = [];
        const keep = (_payload: unknown, meta: BusMessageMeta): string => {
          handled.push(meta.version);
          return meta.version;
        };
        await server.serve(t, { 'test.servers.get': keep, 'test.servers.boot': keep }, { version: '2.1' });
        await server.subscribe(event, keep, { version: '2.1' });

        for (const version of ['2.1', '2.0', '1.7']) {
          await expect(client.call(t, 'test.servers.get', {}, { version })).resolves.toBe(version);
        }
        for (const version of ['2.2', '3.0', '0.9']) {
          await expect(client.call(t, 'test.servers.get', {}, { version })).rejects.toMatchObject({
            remoteName: 'BusUnsupportedVersionError',
            message: `test.servers.get ${version} is newer than this side implements (2.1): upgrade it, or send at 2.1`,
          });
        }
        await client.cast(t, 'test.servers.boot', {}, { version: '3.0' });
        await waitFor('the newer cast to be dead-lettered', () => serverLog.has('dead-lettered'));
        expect(serverLog.has('retrying')).toBe(false);
        await client.publish(event, {}, { version: '2.2' });
        await client.publish(event, {}, { version: '2.0' });
        await waitFor('the event it takes', () => handled.length === 4);
        expect(handled).toEqual(['2.1', '2.0', '1.7', '2.0']);
        await expect(server.serve(topic(), { 'test.servers.get': keep }, { version: 'two' })).rejects.toThrow(TypeError);
      });

      it('refuses malformed versions, wildcard topics and event names', async () => {
        await expect(client.cast(topic(), 'test.things.touch', {}, { version: 'v2' })).rejects.toThrow(TypeError);
        await expect(client.cast('compute.*', 'test.things.touch', {})).rejects.toThrow(TypeError);
        await expect(server.serve('compute.#', {})).rejects.toThrow(TypeError);
        await expect(client.publish('created', {})).rejects.toThrow(TypeError);
        await expect(client.publish('svc.servers.*', {})).rejects.toThrow(TypeError);
      });
    });

    describe('close', () => {
      it('rejects pending calls and refuses new messages', async () => {
        const t = topic();
        const release = gate();
        await server.serve(t, { 'test.things.slow': () => release.opened });

        const pending = expect(client.call(t, 'test.things.slow', {})).rejects.toBeInstanceOf(BusUnavailableError);
        await client.close();
        release.open();

        await pending;
        await expect(client.cast(t, 'test.things.slow', {})).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(client.subscribe('svc.things.*', () => undefined)).rejects.toBeInstanceOf(BusUnavailableError);
      });
    });

    describe('BusServer (Nest microservice transport)', () => {
      it('serves @MessagePattern handlers on its topic and feeds @EventPattern handlers', async () => {
        const t = topic();
        const service = uniqueName('svc');
        const events: unknown[] = [];

        @Controller()
        class ServersController {
          @MessagePattern('compute.servers.get')
          get(@Payload() payload: { id: string }, @Ctx() context: BusContext): unknown {
            return { id: payload.id, version: context.getMeta().version };
          }

          @MessagePattern('compute.servers.find')
          async find(): Promise<never> {
            throw new RpcException({ name: 'ServerNotFound', message: 'No server with that id' });
          }

          @EventPattern(`${service}.servers.*`)
          changed(@Payload() payload: unknown): void {
            events.push(payload);
          }
        }

        @Module({ controllers: [ServersController] })
        class ComputeModule {}

        const app = await NestFactory.createMicroservice(ComputeModule, {
          strategy: new BusServer(server, t, { version: '2.0' }),
          logger: false,
        });
        await app.listen();
        try {
          await expect(client.call(t, 'compute.servers.get', { id: 'abc' }, { version: '2.0' })).resolves.toEqual({
            id: 'abc',
            version: '2.0',
          });
          await expect(client.call(t, 'compute.servers.find', {})).rejects.toMatchObject({
            remoteName: 'ServerNotFound',
            message: 'No server with that id',
          });
          await client.publish(`${service}.servers.deleted`, { id: 'abc' });
          await waitFor('the event handler', () => events.length === 1);
          expect(events).toEqual([{ id: 'abc' }]);
        } finally {
          await app.close();
        }
      });
    });
  });
}
