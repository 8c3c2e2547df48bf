import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

/** Each fake host: 2 vCPUs (× 16) and 1 GiB of RAM (× 1.5) hold 12 servers of 128 MiB, RAM being the limit. */
const HOST_MEMORY_MB = 1024;
const FIT_PER_HOST = Math.floor((HOST_MEMORY_MB * 1.5) / 128);

describe('compute scheduler: claims, retries and quotas on fake hosts', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let imageId: string;

  const serversOf = async (client: ApiClient) => (await client.get('/v2.1/servers/detail?all_tenants=1&limit=1000')).body.servers as Json[];
  const settled = (servers: Json[]) => servers.every((server) => server.status === 'ACTIVE' || server.status === 'ERROR');

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1', OVERCAST_COMPUTE_QUOTA_CORES: '-1', OVERCAST_COMPUTE_QUOTA_RAM: '-1' });
    alice = await compute.client(ALICE);
    const admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('places 50 concurrent boots on 3 small hosts without overbooking any, and the overflow ends in ERROR saying why', async () => {
    for (const host of ['small-1', 'small-2', 'small-3']) {
      await compute.startFakeHost(host, { vcpus: 2, memoryMb: HOST_MEMORY_MB, localGb: 100 });
    }
    const responses = await Promise.all(Array.from({ length: 50 }, (_, index) => alice.post('/v2.1/servers', { server: { name: `load-${index}`, imageRef: imageId, flavorRef: 'tiny' } })));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 50 }, () => 202));

    const admin = await compute.client(ADMIN);
    const servers = await eventually(() => serversOf(admin), settled, 60_000);
    expect(settled(servers)).toBe(true);
    const active = servers.filter((server) => server.status === 'ACTIVE');
    const failed = servers.filter((server) => server.status === 'ERROR');
    expect(active).toHaveLength(3 * FIT_PER_HOST);
    expect(failed).toHaveLength(50 - 3 * FIT_PER_HOST);
    for (const server of failed) {
      expect(server.fault.message).toMatch(/^No valid host was found\. small-\d: RamFilter: .*; small-\d: RamFilter: .*; small-\d: RamFilter: /);
    }
    // No host holds more than its RAM allows, by the allocations and by where the servers run.
    const perHost = await compute.dataSource.query<{ host: string; memory_mb: number; servers: number }[]>(
      'SELECT n.host, sum(a.memory_mb)::int AS memory_mb, count(*)::int AS servers FROM allocations a JOIN compute_nodes n ON n.id = a.node_id GROUP BY n.host ORDER BY n.host',
    );
    expect(perHost).toEqual(['small-1', 'small-2', 'small-3'].map((host) => ({ host, memory_mb: FIT_PER_HOST * 128, servers: FIT_PER_HOST })));
    const hostsOfActive = active.map((server) => server['OS-EXT-SRV-ATTR:host'] as string);
    for (const host of ['small-1', 'small-2', 'small-3']) {
      expect(hostsOfActive.filter((name) => name === host)).toHaveLength(FIT_PER_HOST);
    }

    await Promise.all(servers.map((server) => alice.delete(`/v2.1/servers/${server.id}`)));
    const left = await eventually(() => serversOf(admin), (remaining) => remaining.length === 0, 30_000);
    expect(left).toEqual([]);
    expect(await compute.dataSource.query('SELECT * FROM allocations')).toEqual([]);
  }, 120_000);

  it('retries a build that fails on its host on another one', async () => {
    const broken = await compute.startFakeHost('broken-1', { spawnFailure: 'the disk is on fire' });
    // Spread puts the server on the host with the most free RAM: the broken one, which has it all.
    const created = await alice.post('/v2.1/servers', { server: { name: 'retried', imageRef: imageId, flavorRef: 'tiny' } });
    const admin = await compute.client(ADMIN);
    const server = await eventually(async () => (await admin.get(`/v2.1/servers/${created.body.server.id}`)).body.server, (body: Json) => ['ACTIVE', 'ERROR'].includes(body.status), 10_000);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).not.toBe('broken-1');
    expect(await broken.driver.listInstances()).toEqual([]);
    expect((await alice.delete(`/v2.1/servers/${server.id}`)).status).toBe(204);
  }, 30_000);

  it('refuses a create over the project quota with Nova 403 and counts min_count', async () => {
    const limited = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_INSTANCES: '2' });
    try {
      const admin = await limited.client(ADMIN);
      expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 0 } })).status).toBe(200);
      const member = await limited.client(ALICE);
      const image = await limited.uploadImage(ALICE);
      const boot = (count: Record<string, number>) => member.post('/v2.1/servers', { server: { name: 'q', imageRef: image, flavorRef: 'tiny', ...count } });
      expectNovaError(await boot({ min_count: 3 }), 403, 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances');
      // max_count takes what the quota allows when min_count fits.
      const two = await member.post('/v2.1/servers', { server: { name: 'q', imageRef: image, flavorRef: 'tiny', min_count: 1, max_count: 5, return_reservation_id: true } });
      expect(two.status).toBe(202);
      const listed = (await member.get(`/v2.1/servers?reservation_id=${two.body.reservation_id}`)).body.servers.map((server: Json) => server.name).sort();
      expect(listed).toEqual(['q-1', 'q-2']);
      expectNovaError(await boot({}), 403, 'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances');
    } finally {
      await limited.close();
    }
  }, 60_000);
});
