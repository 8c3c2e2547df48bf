import { type ApiClient, createTestVhost, Daemon, eventually, type Json, type TestVhost, waitUntil } from '@overcast/shared/testing';
import { join } from 'node:path';
import { type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin', isAdminProject: true };
const OVERCAST_BIN = join(__dirname, '..', '..', 'overcast', 'bin', 'overcast.js');
const KILLED_HOST = 'killed-1';

/**
 * A compute agent as its own process (`overcast agent compute`, the fake hypervisor with builds
 * that take a minute), killed with SIGKILL while it builds a server: the build is lost with the
 * process, the host goes down, the server is built on the other host (Nova's reschedule) and
 * nothing it took on the first is left; the restarted agent brings its host back.
 */
describe('compute: an agent killed with SIGKILL in the middle of a build', () => {
  let vhost: TestVhost;
  let compute: TestCompute;
  let alice: ApiClient;
  let admin: ApiClient;
  let standby: FakeHost;
  let imageId: string;
  let networkId: string;
  const agents: Daemon[] = [];

  const startAgent = () => {
    const agent = Daemon.start(KILLED_HOST, process.execPath, [OVERCAST_BIN, 'agent', 'compute'], {
      env: {
        PATH: process.env['PATH'],
        OVERCAST_TRANSPORT_URL: vhost.url,
        OVERCAST_HOST: KILLED_HOST,
        OVERCAST_COMPUTE_AGENT_DRIVER: 'fake',
        // More room than the standby host: the scheduler's spread sends the build here first.
        OVERCAST_COMPUTE_AGENT_FAKE_MEMORY_MB: '65536',
        OVERCAST_COMPUTE_AGENT_FAKE_SPAWN_SECONDS: '60',
        OVERCAST_COMPUTE_AGENT_REPORT_INTERVAL_SECONDS: '1',
      },
    });
    agents.push(agent);
    return agent;
  };
  const hypervisor = async () => ((await admin.get('/v2.1/os-hypervisors/detail')).body.hypervisors as Json[]).find((each) => each.service.host === KILLED_HOST);

  beforeAll(async () => {
    vhost = await createTestVhost('overcast-agent-kill');
    compute = await startTestCompute({ OVERCAST_TRANSPORT_URL: vhost.url, OVERCAST_COMPUTE_HOST_DOWN_SECONDS: '3', OVERCAST_COMPUTE_STRANDED_SWEEP_SECONDS: '1' });
    alice = await compute.client(ALICE);
    admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    networkId = await compute.createNetwork(ALICE, 'killed', '10.30.0.0/24');
    standby = await compute.startFakeHost('standby-1');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await compute?.close();
    await vhost?.drop();
  }, 60_000);

  it('loses the build with the process, builds the server elsewhere, leaks nothing, and the restarted agent brings the host back', async () => {
    const first = startAgent();
    await waitUntil(`${KILLED_HOST} reports`, async () => (await hypervisor())?.state === 'up', [first], 60_000);

    const created = await alice.post('/v2.1/servers', { server: { name: 'interrupted', imageRef: imageId, flavorRef: 'tiny', networks: [{ uuid: networkId }] } });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    const server = async () => (await admin.get(`/v2.1/servers/${id}`)).body.server as Json;
    // The agent has the build: the server spawns on its host.
    await waitUntil('the build to reach the agent', async () => {
      const now = await server();
      return now['OS-EXT-STS:task_state'] === 'spawning' && now['OS-EXT-SRV-ATTR:host'] === KILLED_HOST;
    }, [first], 30_000);

    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });

    const ended = await eventually(server, (now) => ['ACTIVE', 'ERROR'].includes(now.status) && now['OS-EXT-STS:task_state'] === null, 30_000);
    expect(ended).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'standby-1' });
    expect((await hypervisor())?.state).toBe('down');
    expect(await compute.dataSource.query('SELECT n.host FROM allocations a JOIN compute_nodes n ON n.id = a.node_id WHERE a.instance_id = $1', [id])).toEqual([{ host: 'standby-1' }]);
    // Its one port, bound where it runs (an admin sees the binding).
    const ports = (await compute.networkApi.as(await compute.token(ADMIN)).get(`/v2.0/ports?device_id=${id}`)).body.ports as Json[];
    expect(ports.map((port) => port['binding:host_id'])).toEqual(['standby-1']);
    expect((await standby.driver.listInstances()).map((instance) => instance.id)).toEqual([id]);
    const events = ((await admin.get(`/v2.1/servers/${id}/os-instance-actions/${created.headers.get('x-openstack-request-id') ?? ''}`)).body.instanceAction?.events ?? []) as Json[];
    expect(events.some((event) => event.result === 'Error')).toBe(true);

    // A new process on the host: it reports again, and the host is up.
    const second = startAgent();
    await waitUntil(`${KILLED_HOST} is up again`, async () => (await hypervisor())?.state === 'up', [second], 60_000);
    expect((await server()).status).toBe('ACTIVE');
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).status, (status) => status === 404, 10_000);
    expect(await compute.dataSource.query('SELECT * FROM allocations')).toEqual([]);
  }, 180_000);
});
