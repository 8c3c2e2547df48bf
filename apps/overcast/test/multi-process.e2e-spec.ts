import { envName } from '@overcast/shared/core';
import { cleanEnvironment, createTestDatabase, createTestVhost, type Daemon, eventually, freePort, overcast, passwordAuthRequest, startOvercast, type TestDatabase, type TestVhost, waitUntilHealthy } from '@overcast/shared/testing';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'multi-node-admin-password';
const SERVICES = ['identity', 'compute', 'image', 'network', 'block-storage'] as const;

const decodeSegment = (token: string, index: number) => JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
const kidOf = (token: string) => decodeSegment(token, 0)['kid'] as string;

/** The key id identity gives a PEM signing key in its JWKS (the RFC 7638 thumbprint). */
async function kidOfKeyFile(path: string): Promise<string> {
  return calculateJwkThumbprint(createPublicKey(createPrivateKey(await readFile(path, 'utf8'))).export({ format: 'jwk' }) as JWK);
}

describe('multi-node: identity, compute and network as separate processes on PostgreSQL and RabbitMQ', () => {
  let dataDir: string;
  let keyDir: string;
  let database: TestDatabase | undefined;
  let networkDatabase: TestDatabase | undefined;
  let computeDatabase: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let env: Record<string, string>;
  let identityUrl: string;
  let computeUrl: string;
  let networkUrl: string;
  const processes: Daemon[] = [];
  /** A token issued before the rotations; it must outlive the first and die with its key at the second. */
  let preRotationToken: string;

  const serve = (service: 'identity' | 'compute' | 'network') => {
    const started = startOvercast(service, ['serve', service], env);
    processes.push(started);
    return started;
  };
  const openstack = async (...args: string[]) => {
    const { stdout } = await run('openstack', args, {
      timeout: 60_000,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dataDir, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml'), OS_CLOUD: 'multinode' },
    });
    return stdout;
  };
  const adminToken = async () => {
    const response = await fetch(`${identityUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')),
    });
    expect(response.status).toBe(201);
    return response.headers.get('x-subject-token') as string;
  };
  const computeStatus = async (token: string) => (await fetch(`${computeUrl}/v2.1/extensions`, { headers: { 'X-Auth-Token': token } })).status;
  /** What identity says of a token (GET /v3/auth/tokens): 200 valid, 404 revoked or unknown. */
  const identityValidation = async (subject: string) =>
    (await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': await adminToken(), 'X-Subject-Token': subject } })).status;
  const publishedKids = async () => ((await (await fetch(`${identityUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort();
  const kidsInKeyDir = async () => {
    const files = (await readdir(keyDir)).filter((name) => /^\d+\.pem$/.test(name));
    return (await Promise.all(files.map((name) => kidOfKeyFile(join(keyDir, name))))).sort();
  };
  /**
   * Rotates the keys with the operator command while identity runs, then waits for identity to have
   * taken the whole rotation in: it publishes exactly the keys in the directory (the newly staged one
   * included, before it ever signs) and signs with the key that was staged.
   */
  const rotateKeys = async () => {
    const staged = await kidOfKeyFile(join(keyDir, '0.pem'));
    expect(await publishedKids()).toContain(staged);
    expect(await overcast(['identity', 'rotate-keys'], env)).toMatch(/^key \d+ now signs; a new key is staged/);
    const onDisk = await kidsInKeyDir();
    expect(await eventually(publishedKids, (kids) => JSON.stringify(kids) === JSON.stringify(onDisk), 5000)).toEqual(onDisk);
    expect(kidOf(await adminToken())).toBe(staged);
    return staged;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overcast-multinode-'));
    keyDir = join(dataDir, 'identity', 'keys');
    const ports: Record<string, number> = {};
    for (const service of SERVICES) {
      let port = await freePort();
      while (Object.values(ports).includes(port)) {
        port = await freePort();
      }
      ports[service] = port;
    }
    identityUrl = `http://127.0.0.1:${ports['identity']}`;
    computeUrl = `http://127.0.0.1:${ports['compute']}`;
    networkUrl = `http://127.0.0.1:${ports['network']}`;

    // One RabbitMQ virtual host per run: its own exchanges and queues, so parallel runs cannot see each other's messages.
    const createVhost = async () => {
      vhost = await createTestVhost('overcast-e2e');
      return vhost;
    };
    // Each resource is recorded as soon as it exists, so afterAll removes it whatever fails next.
    const createDatabase = async () => {
      database = await createTestDatabase('overcast_multinode');
      return database;
    };
    const createNetworkDatabase = async () => {
      networkDatabase = await createTestDatabase('overcast_multinode_network');
      return networkDatabase;
    };
    const createComputeDatabase = async () => {
      computeDatabase = await createTestDatabase('overcast_multinode_compute');
      return computeDatabase;
    };
    const [testDatabase, testVhost, testNetworkDatabase, testComputeDatabase] = await Promise.all([createDatabase(), createVhost(), createNetworkDatabase(), createComputeDatabase()]);

    env = {
      ...cleanEnvironment(),
      OVERCAST_DATA_DIR: dataDir,
      OVERCAST_TRANSPORT_URL: testVhost.url,
      OVERCAST_IDENTITY_DATABASE_URL: testDatabase.url,
      OVERCAST_NETWORK_DATABASE_URL: testNetworkDatabase.url,
      OVERCAST_COMPUTE_DATABASE_URL: testComputeDatabase.url,
      OVERCAST_IDENTITY_URL: identityUrl,
      OVERCAST_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OVERCAST_LOG_LEVEL: 'warn',
    };
    for (const service of SERVICES) {
      env[envName(service, ['port'])] = String(ports[service]);
      if (service !== 'identity') {
        env[envName(service, ['servicePassword'])] = `${service}-service-password`;
      }
    }
    const clouds = [
      'clouds:',
      '  multinode:',
      '    auth:',
      `      auth_url: ${identityUrl}/v3`,
      '      username: admin',
      `      password: ${ADMIN_PASSWORD}`,
      '      project_name: admin',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    identity_api_version: 3',
      '    interface: public',
      '',
    ].join('\n');
    await writeFile(join(dataDir, 'clouds.yaml'), clouds, { mode: 0o600 });
  }, 60_000);

  afterAll(async () => {
    const exits = await Promise.allSettled(processes.map((started) => started.stop()));
    const failures = await Promise.allSettled([
      database?.drop(),
      networkDatabase?.drop(),
      computeDatabase?.drop(),
      vhost?.drop(),
      dataDir === undefined ? undefined : rm(dataDir, { recursive: true, force: true }),
    ]);
    for (const outcome of [...exits, ...failures]) {
      if (outcome.status === 'rejected') {
        throw outcome.reason;
      }
    }
  }, 60_000);

  it('migrates the identity database, then bootstraps, twice without harm', async () => {
    expect(await overcast(['db', 'sync', 'identity'], env)).toMatch(/^identity: applied \w+/);
    for (let round = 0; round < 2; round++) {
      expect(await overcast(['bootstrap'], env)).toContain('bootstrap complete');
    }
  }, 60_000);

  it('serves identity and compute as two processes, each healthy on its own port', async () => {
    const identity = serve('identity');
    await waitUntilHealthy(identity, identityUrl, 30_000);

    // Revoked before compute exists: compute must learn it from identity's list when it starts.
    const revokedEarly = await adminToken();
    const revoke = await fetch(`${identityUrl}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': await adminToken(), 'X-Subject-Token': revokedEarly } });
    expect(revoke.status).toBe(204);

    expect(await overcast(['db', 'sync', 'compute'], env)).toMatch(/^compute: applied \w+/);
    const compute = serve('compute');
    await waitUntilHealthy(compute, computeUrl, 30_000);
    expect(await computeStatus(revokedEarly)).toBe(401);
    expect(await computeStatus(await adminToken())).toBe(200);

    // The second bootstrap added nothing twice.
    const headers = { 'X-Auth-Token': await adminToken() };
    const services = ((await (await fetch(`${identityUrl}/v3/services`, { headers })).json()) as { services: { type: string }[] }).services.map((service) => service.type);
    expect(services.sort()).toEqual(['block-storage', 'compute', 'identity', 'image', 'network', 'volumev3']);
    const users = ((await (await fetch(`${identityUrl}/v3/users`, { headers })).json()) as { users: { name: string }[] }).users.map((user) => user.name);
    expect(users.sort()).toEqual(['admin', 'block-storage', 'compute', 'image', 'network']);
    // Public, internal and admin, as keystone-manage bootstrap makes them: one of each per service.
    const endpoints = ((await (await fetch(`${identityUrl}/v3/endpoints`, { headers })).json()) as { endpoints: { service_id: string; interface: string; url: string }[] })
      .endpoints;
    expect(new Set(endpoints.map((endpoint) => `${endpoint.service_id} ${endpoint.interface}`)).size).toBe(endpoints.length);
    expect(endpoints).toHaveLength(services.length * 3);
    expect(endpoints.filter((endpoint) => endpoint.url === `${computeUrl}/v2.1`).map((endpoint) => endpoint.interface).sort()).toEqual(['admin', 'internal', 'public']);
  }, 60_000);

  it('migrates the network database and serves the network API from PostgreSQL to the CLI', async () => {
    expect(await overcast(['db', 'sync', 'network'], env)).toMatch(/^network: applied \w+/);
    const network = serve('network');
    await waitUntilHealthy(network, networkUrl, 30_000);
    await openstack('network', 'create', 'pg-net');
    await openstack('subnet', 'create', '--network', 'pg-net', '--subnet-range', '10.5.0.0/24', 'pg-sub');
    const ports = await Promise.all(['a', 'b', 'c'].map(async (name) => JSON.parse(await openstack('port', 'create', '--network', 'pg-net', `pg-${name}`, '-f', 'json')) as { fixed_ips: { ip_address: string }[] }));
    expect(ports.map((port) => port.fixed_ips[0]?.ip_address).sort()).toEqual(['10.5.0.2', '10.5.0.3', '10.5.0.4']);
    // The network service's state is in its own PostgreSQL database.
    const { stdout } = await run('psql', [networkDatabase?.url ?? '', '-Atc', 'SELECT count(*) FROM ports']);
    expect(stdout.trim()).toBe('3');
  }, 60_000);

  it('accepts a token the openstack CLI issued at compute’s protected API, and only with one', async () => {
    const issued = JSON.parse(await openstack('token', 'issue', '-f', 'json')) as { id: string; project_id: string; user_id: string };
    expect(issued.id).toMatch(/^ey/);
    const response = await fetch(`${computeUrl}/v2.1/extensions`, { headers: { 'X-Auth-Token': issued.id } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ extensions: [] });

    const anonymous = await fetch(`${computeUrl}/v2.1/extensions`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const version = await fetch(`${computeUrl}/v2.1`);
    expect(version.status).toBe(200);
    expect(((await version.json()) as { version: { id: string; links: { rel: string; href: string }[] } }).version).toMatchObject({
      id: 'v2.1',
      links: expect.arrayContaining([{ rel: 'self', href: `${computeUrl}/v2.1/` }]) as unknown,
    });
  }, 60_000);

  it('rejects a token revoked with the openstack CLI, in identity and within a second in compute', async () => {
    const doomed = JSON.parse(await openstack('token', 'issue', '-f', 'json')) as { id: string };
    preRotationToken = await adminToken();
    expect(await computeStatus(doomed.id)).toBe(200);

    await openstack('token', 'revoke', doomed.id);
    const revokedAt = Date.now();
    const status = await eventually(() => computeStatus(doomed.id), (value) => value === 401, 1000);
    const elapsed = Date.now() - revokedAt;
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1000);
    expect(await identityValidation(doomed.id)).toBe(404);

    // Only that token: another of the same user still works everywhere.
    expect(await computeStatus(preRotationToken)).toBe(200);
    expect(await identityValidation(preRotationToken)).toBe(200);
  }, 60_000);

  it('rotates the signing keys while running: new tokens and older ones work in compute', async () => {
    const oldKid = kidOf(preRotationToken);
    const newKid = await rotateKeys();
    expect(newKid).not.toBe(oldKid);

    const issued = JSON.parse(await openstack('token', 'issue', '-f', 'json')) as { id: string };
    expect(kidOf(issued.id)).toBe(newKid);
    expect(await computeStatus(issued.id)).toBe(200);
    expect(await computeStatus(preRotationToken)).toBe(200);
    expect(await identityValidation(preRotationToken)).toBe(200);
  }, 60_000);

  it('a key compute has never seen is fetched from identity; a retired key stops working', async () => {
    // The key staged by the first rotation signs after the second one: compute fetched the key set
    // before that key existed, so it has to fetch it again.
    const newKid = await rotateKeys();
    const token = await adminToken();
    expect(kidOf(token)).toBe(newKid);
    // A service refetches identity's keys at most every few seconds, hence a deadline beyond that.
    expect(await eventually(() => computeStatus(token), (status) => status === 200, 10_000)).toBe(200);

    // Three keys are kept (staged, primary, one previous): the pre-rotation token's key is gone.
    expect(await publishedKids()).not.toContain(kidOf(preRotationToken));
    expect(await computeStatus(preRotationToken)).toBe(401);
    expect(await identityValidation(preRotationToken)).toBe(404);
  }, 60_000);

  it('stops every process cleanly on SIGTERM', async () => {
    expect(processes.map((started) => started.name)).toEqual(['identity', 'compute', 'network']);
    for (const started of [...processes].reverse()) {
      expect(started.running).toBe(true);
      const exit = await started.stop();
      expect({ name: started.name, ...exit }).toEqual({ name: started.name, code: 0, signal: null });
    }
  }, 60_000);
});
