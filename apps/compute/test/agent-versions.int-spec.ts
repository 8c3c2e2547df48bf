import { COMPUTE_AGENT_PATTERNS, COMPUTE_SERVER_TOPIC, computeAgentTopic, type ComputeAgentReport } from '@overcast/compute/contracts';
import { FakeHypervisorDriver } from '@overcast/compute/drivers';
import { type BusMessageMeta } from '@overcast/shared/bus';
import { eventually } from '@overcast/shared/testing';
import { startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };
/** An agent of an older release: the previous major, which the service's topic still takes. */
const OLDER_VERSION = '0.9';

// During a rolling upgrade the compute service is new and some compute agents are still older.
describe('a compute agent older than the service (a rolling upgrade)', () => {
  let compute: TestCompute;

  beforeAll(async () => {
    compute = await startTestCompute();
  }, 60_000);
  afterAll(() => compute?.close());

  it('is recorded at the version it reports at, and handed its work at that version', async () => {
    const admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    const imageId = await compute.uploadImage(ALICE);

    // The older agent: it serves its host's topic at its own version (refusing anything newer, as the bus
    // does), keeps what it is handed and reports at its version.
    const received: string[] = [];
    await compute.bus.serve(computeAgentTopic('old-node'), { [COMPUTE_AGENT_PATTERNS.build]: (_request: unknown, meta: BusMessageMeta) => void received.push(meta.version) }, { version: OLDER_VERSION });
    const report: ComputeAgentReport = {
      host: 'old-node',
      startedAt: new Date().toISOString(),
      inventory: await new FakeHypervisorDriver({ hostname: 'old-node' }).inventory(),
      instances: [],
      connector: { host: 'old-node' },
    };
    await compute.bus.cast(COMPUTE_SERVER_TOPIC, COMPUTE_AGENT_PATTERNS.report, report, { version: OLDER_VERSION });
    const recorded = () => compute.dataSource.query<{ bus_version: string }[]>("SELECT bus_version FROM compute_nodes WHERE host = 'old-node'");
    expect(await eventually(recorded, (rows) => rows.length === 1)).toEqual([{ bus_version: OLDER_VERSION }]);

    const alice = await compute.client(ALICE);
    expect((await alice.post('/v2.1/servers', { server: { name: 'on-the-old-node', imageRef: imageId, flavorRef: 'tiny' } })).status).toBe(202);
    expect(await eventually(async () => received, (versions) => versions.length === 1)).toEqual([OLDER_VERSION]);
  });
});
