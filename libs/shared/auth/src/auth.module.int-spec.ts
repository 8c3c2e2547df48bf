import { Controller, Get, Module } from '@nestjs/common';
import { BusModule, createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { createLogger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { generateKeyPair, SignJWT } from 'jose';
import { type KeyObject, randomUUID } from 'node:crypto';
import { AuthModule, REVOCATION_EVENT } from './auth.module';
import { type RevocationEvent } from './revocation/revocation-event';

@Controller('protected')
class ProtectedController {
  @Get()
  hello() {
    return { ok: true };
  }
}

/** Identity's revocation list as a test controls it: unreachable until `reachable` is set. */
class ControlledFeed {
  reachable = false;
  events: RevocationEvent[] = [];
  async load(): Promise<RevocationEvent[]> {
    if (!this.reachable) {
      throw new Error('connect ECONNREFUSED');
    }
    return this.events;
  }
}

/** Polls `probe` until it returns `expected` or five seconds pass; returns the last value. */
async function eventually<T>(probe: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 5000;
  let value = await probe();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await probe();
  }
  return value;
}

describe('AuthModule in a service other than identity', () => {
  const busUrl = `memory://auth-spec-${randomUUID()}`;
  const feed = new ControlledFeed();
  let service: RunningHttpService;
  let bus: MessageBus;
  let privateKey: KeyObject;
  let publicKey: KeyObject;

  const token = async (auditId: string) =>
    new SignJWT({ audit_ids: [auditId], methods: ['password'], user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } }, roles: [] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('u1')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 5)
      .setExpirationTime('1h')
      .sign(privateKey);
  const statusWith = async (rawToken: string) => (await fetch(`${service.url}/protected`, { headers: { 'X-Auth-Token': rawToken } })).status;

  beforeAll(async () => {
    const keys = await generateKeyPair('ES256');
    privateKey = keys.privateKey as KeyObject;
    publicKey = keys.publicKey as KeyObject;

    @Module({
      imports: [
        BusModule.forRoot({ url: busUrl }),
        AuthModule.forRoot({ service: 'auth-spec', keys: { getKey: async (kid) => (kid === 'k1' ? publicKey : undefined) }, revocations: feed, maxTokenLifetimeSeconds: 3600, policyDefaults: {} }),
      ],
      controllers: [ProtectedController],
    })
    class ServiceModule {}

    service = await startHttpService({ name: 'auth-spec', module: ServiceModule, errorFormat: 'nova', host: '127.0.0.1', port: 0, logger: createLogger({ level: 'fatal' }) });
    bus = await createMessageBus(busUrl);
  });

  afterAll(async () => {
    await bus?.close();
    await service?.close();
  });

  it('refuses every token with a 503 while identity cannot be reached, then accepts them once it can', async () => {
    const rawToken = await token('audit-1');
    const refused = await fetch(`${service.url}/protected`, { headers: { 'X-Auth-Token': rawToken } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ serviceUnavailable: { code: 503, message: expect.stringContaining('revocation list') } });

    feed.reachable = true;
    expect(await eventually(() => statusWith(rawToken), 200)).toBe(200);
  });

  it('rejects a token as soon as its revocation is published on the bus', async () => {
    const rawToken = await token('audit-2');
    expect(await eventually(() => statusWith(rawToken), 200)).toBe(200);
    const now = new Date().toISOString();
    await bus.publish(REVOCATION_EVENT, { audit_id: 'audit-2', issued_before: now, revoked_at: now } satisfies RevocationEvent);
    expect(await eventually(() => statusWith(rawToken), 401)).toBe(401);
    expect(await statusWith(await token('audit-3'))).toBe(200);
  });

  it('keeps each service of the process to its own strategy, keys and revocation list (the all-in-one)', async () => {
    const rawToken = await token('audit-6');
    expect(await eventually(() => statusWith(rawToken), 200)).toBe(200);
    const unreachable = new ControlledFeed();
    @Module({
      imports: [BusModule.forRoot({ url: busUrl }), AuthModule.forRoot({ service: 'auth-spec-second', keys: { getKey: async (kid) => (kid === 'k1' ? publicKey : undefined) }, revocations: unreachable, maxTokenLifetimeSeconds: 3600, policyDefaults: {} })],
      controllers: [ProtectedController],
    })
    class SecondServiceModule {}
    const second = await startHttpService({ name: 'auth-spec-second', module: SecondServiceModule, errorFormat: 'nova', host: '127.0.0.1', port: 0, logger: createLogger({ level: 'fatal' }) });
    try {
      // The second service has not loaded its list: it refuses; the first keeps accepting.
      expect((await fetch(`${second.url}/protected`, { headers: { 'X-Auth-Token': rawToken } })).status).toBe(503);
      expect(await statusWith(rawToken)).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('rejects a token signed by a key it does not know, or not signed at all', async () => {
    const [header, payload] = (await token('audit-4')).split('.');
    expect(await statusWith(`${header}.${payload}.`)).toBe(401);
    const otherKey = (await generateKeyPair('ES256')).privateKey;
    const forged = await new SignJWT({ audit_ids: ['audit-5'] }).setProtectedHeader({ alg: 'ES256', kid: 'k2' }).setSubject('u1').setIssuedAt().setExpirationTime('1h').sign(otherKey);
    expect(await statusWith(forged)).toBe(401);
  });
});
