import { COMPUTE_AGENT_PATTERNS, COMPUTE_SERVER_TOPIC, type ComputeAgentReport } from '@overcast/compute/contracts';
import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

describe('compute service: work a lost agent will never finish', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let hostA: FakeHost;
  let imageId: string;

  const boot = async (name: string) => {
    const created = await alice.post('/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: 'tiny' } });
    const server = await eventually(async () => (await alice.get(`/v2.1/servers/${created.body.server.id}`)).body.server, (body: Json) => body.status === 'ACTIVE');
    expect(server.status).toBe('ACTIVE');
    return server.id as string;
  };
  /** Puts the server in the middle of `action` (its `taskState` on its host), as if the host had been handed the work a minute ago. */
  const strand = async (id: string, action: string, taskState: string) => {
    await compute.dataSource.query("UPDATE instances SET task_state = $2, updated_at = now() - interval '1 minute' WHERE id = $1", [id, taskState]);
    await compute.dataSource.query(
      "INSERT INTO instance_actions (id, instance_id, action, request_id, user_id, project_id, start_time, updated_at) VALUES (gen_random_uuid(), $1, $2, 'req-test', 'alice', $3, now() - interval '1 minute', now())",
      [id, action, ALICE.projectId],
    );
  };
  const serverOf = async (id: string) => (await alice.get(`/v2.1/servers/${id}`)).body.server;

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_STRANDED_SWEEP_SECONDS: '1', OVERCAST_COMPUTE_HOST_DOWN_SECONDS: '5' });
    alice = await compute.client(ALICE);
    const admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    hostA = await compute.startFakeHost('host-a');
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('fails the action a restarted agent lost, leaving the server as it was', async () => {
    const id = await boot('restarted');
    await strand(id, 'stop', 'powering-off');
    // The same host reports from a new process: what the old one was given is gone.
    const report: ComputeAgentReport = {
      host: 'host-a',
      startedAt: new Date().toISOString(),
      inventory: await hostA.driver.inventory(),
      instances: await hostA.driver.listInstances(),
      connector: { host: 'host-a' },
    };
    await compute.bus.cast(COMPUTE_SERVER_TOPIC, COMPUTE_AGENT_PATTERNS.report, report);
    const server = await eventually(() => serverOf(id), (body: Json) => body['OS-EXT-STS:task_state'] === null);
    expect(server).toMatchObject({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null });
    const events = await compute.dataSource.query<{ result: string; traceback: string }[]>(
      "SELECT e.result, e.traceback FROM instance_action_events e JOIN instance_actions a ON a.id = e.action_id WHERE a.instance_id = $1 AND e.result = 'Error'",
      [id],
    );
    expect(events).toEqual([{ result: 'Error', traceback: 'the compute agent on host-a restarted before the operation ended' }]);
  });

  it('fails a build stranded on a host that went down, finishes a delete there locally, and leaves its running servers be', async () => {
    const running = await boot('running');
    const building = await boot('building');
    const doomed = await boot('doomed');
    await hostA.agent.close();
    await strand(building, 'create', 'spawning');
    await strand(doomed, 'delete', 'deleting');
    // host-a stops reporting: its last report ages past hostDownSeconds.
    await compute.dataSource.query("UPDATE compute_nodes SET reported_at = now() - interval '1 minute' WHERE host = 'host-a'");
    expect((await eventually(async () => (await alice.get(`/v2.1/servers/${doomed}`)).status, (status) => status === 404, 10_000))).toBe(404);
    expect(await compute.dataSource.query('SELECT * FROM allocations WHERE instance_id = $1', [doomed])).toEqual([]);
    const failed = await eventually(() => serverOf(building), (body: Json) => body.status === 'ERROR');
    expect(failed.fault.message).toMatch(/the compute agent on host-a stopped reporting/);
    expect(await compute.dataSource.query('SELECT * FROM allocations WHERE instance_id = $1', [building])).toEqual([]);
    // A server already running there stays as it is: only work under way is stranded.
    expect((await serverOf(running)).status).toBe('ACTIVE');
  });

  it("destroys what a host holds of servers placed elsewhere or deleted (left by work its agent lost), and leaves other guests be", async () => {
    // Two new hosts: host-a is down by now.
    const [hostC, hostD] = [await compute.startFakeHost('host-c'), await compute.startFakeHost('host-d')];
    const hostOf = async (id: string) => (await compute.dataSource.query<{ host: string }[]>('SELECT host FROM instances WHERE id = $1', [id]))[0]?.host;
    /** Resolves once `host` has reported twice more: whatever those reports showed has been acted on. */
    const twoReportsOf = async (host: string) => {
      const reportedAt = async () => (await compute.dataSource.query<{ at: Date }[]>('SELECT reported_at AS at FROM compute_nodes WHERE host = $1', [host]))[0]?.at.getTime() ?? 0;
      for (let report = 0; report < 2; report++) {
        const before = await reportedAt();
        await eventually(reportedAt, (at) => at > before, 10_000);
      }
    };
    const guestOf = (id: string) => ({ id, name: 'stray', vcpus: 1, memoryMb: 128, rootGb: 1, ephemeralGb: 0, swapMb: 0, vifs: [], blockDevices: [] });
    const holds = async (host: FakeHost, id: string) => (await host.driver.listInstances()).some((instance) => instance.id === id);

    const id = await boot('placed');
    const [home, other] = (await hostOf(id)) === 'host-c' ? [hostC, hostD] : [hostD, hostC];
    // As a build lost on `other` and retried on `home` leaves it.
    await other.driver.spawn(guestOf(id));
    expect(await eventually(() => holds(other, id), (held) => !held, 10_000)).toBe(false);
    expect(await holds(home, id)).toBe(true);
    expect((await serverOf(id)).status).toBe('ACTIVE');

    // As a delete whose destroy was lost leaves it.
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).status, (status) => status === 404, 10_000);
    await home.driver.spawn(guestOf(id));
    expect(await eventually(() => holds(home, id), (held) => !held, 10_000)).toBe(false);

    // A guest this service does not know (another cloud's, on a shared hypervisor) stays.
    const foreign = guestOf('0b5e1e5e-0000-4000-8000-000000000001');
    await other.driver.spawn(foreign);
    await twoReportsOf(other === hostC ? 'host-c' : 'host-d');
    expect(await holds(other, foreign.id)).toBe(true);
    await other.driver.destroy(foreign);
  });
});
