import { type OperationOutcome, VOLUME_AGENT_PATTERNS, VOLUME_PROTOCOL_VERSION, VOLUME_SERVER_TOPIC, volumeAgentTopic } from '@overcast/block-storage/contracts';
import { type BusMessageMeta } from '@overcast/shared/bus';
import { eventually } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { startTestBlockStorage, type TestBlockStorage, thickBackend } from './api-harness';

/** The version an agent of the previous release speaks (before the report's `startedAt`). */
const PREVIOUS_VERSION = '1.0';

// During a rolling upgrade the service is new and some volume agents are still of the previous release.
describe('volume agents of two releases beside one service (a rolling upgrade)', () => {
  let service: TestBlockStorage;
  const projectId = randomUUID().replace(/-/g, '');

  beforeAll(async () => {
    service = await startTestBlockStorage();
  }, 60_000);
  afterAll(() => service?.close());

  it('sends each agent at the version it reports at, which it takes: the older agent at its own, the current one at the current', async () => {
    const admin = await service.client({ projectId, roles: ['admin'] });
    const received: Record<string, string[]> = {};
    // Each agent serves its host's topic at its release's version (refusing anything newer, as the bus does),
    // reports at it, and answers a create with its outcome.
    for (const [host, version] of [['old-node', PREVIOUS_VERSION], ['new-node', VOLUME_PROTOCOL_VERSION]] as const) {
      received[host] = [];
      const create = async (payload: { backend: string; volume: { id: string } }, meta: BusMessageMeta) => {
        received[host]?.push(meta.version);
        const outcome: OperationOutcome = { operation: 'volume.create', id: payload.volume.id, host, backend: payload.backend };
        await service.bus.cast(VOLUME_SERVER_TOPIC, VOLUME_AGENT_PATTERNS.operationDone, outcome, { version });
      };
      await service.bus.serve(volumeAgentTopic(host), { [VOLUME_AGENT_PATTERNS.createVolume]: create }, { version });
      await service.report({ host, backends: [thickBackend(host, 100)] }, version);
      await admin.post(`/v3/${projectId}/types`, { volume_type: { name: host, extra_specs: { volume_backend_name: host } } });
    }

    for (const host of ['old-node', 'new-node']) {
      const created = (await admin.post(`/v3/${projectId}/volumes`, { volume: { size: 1, volume_type: host } })).body.volume;
      const shown = await eventually(async () => (await admin.get(`/v3/${projectId}/volumes/${created.id}`)).body.volume, (volume) => volume.status !== 'creating', 10_000);
      expect(shown).toMatchObject({ status: 'available', 'os-vol-host-attr:host': `${host}@${host}#${host}` });
    }
    expect(received).toEqual({ 'old-node': [PREVIOUS_VERSION], 'new-node': [VOLUME_PROTOCOL_VERSION] });
  });
});
