import { BackendEntity } from '@overcast/block-storage/data-access';
import { type ApiClient, eventually } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { expectCinderError, startTestBlockStorage, type TestBlockStorage, thickBackend } from './api-harness';

const projectId = () => randomUUID().replace(/-/g, '');

// The scheduler, quotas and microversions over the API; no agent answers here, so volumes that are
// placed stay `creating` (the agent's side is volume-agent.spec and the end-to-end tests).
describe('block-storage volumes: scheduling, quotas and microversions (embedded PostgreSQL)', () => {
  let service: TestBlockStorage;
  let admin: ApiClient;
  let alice: ApiClient;
  const adminProject = projectId();
  const aliceProject = projectId();
  const volumes = `/v3/${aliceProject}/volumes`;
  const messagesOf = async (id: string) =>
    ((await alice.get(`/v3/${aliceProject}/messages`, { headers: { 'OpenStack-API-Version': 'volume 3.3' } })).body.messages as { resource_uuid: string; user_message: string }[]).filter((message) => message.resource_uuid === id);

  beforeAll(async () => {
    service = await startTestBlockStorage({ OVERCAST_BLOCK_STORAGE_QUOTA_VOLUMES: '40' });
    admin = await service.client({ projectId: adminProject, roles: ['admin'] });
    alice = await service.client({ projectId: aliceProject, roles: ['member'] });
  }, 60_000);
  afterAll(() => service?.close());

  it('puts a volume no backend can take in error, with a message that says why', async () => {
    const created = await alice.post(volumes, { volume: { size: 1, name: 'nowhere' } });
    expect(created.status).toBe(202);
    expect(created.body.volume).toMatchObject({ status: 'error', size: 1, name: 'nowhere' });
    expect(await messagesOf(created.body.volume.id)).toEqual([expect.objectContaining({ user_message: expect.stringContaining('No volume agent has reported a backend') })]);
    // It never reached a backend: it goes at once.
    expect((await alice.delete(`${volumes}/${created.body.volume.id}`)).status).toBe(202);
    expectCinderError(await alice.get(`${volumes}/${created.body.volume.id}`), 404);
  });

  it('never overbooks a backend under concurrent creates, and says per backend why the rest were turned down', async () => {
    await service.report({ host: 'storage1', backends: [thickBackend('small', 10)] });
    const answers = await Promise.all(Array.from({ length: 16 }, () => alice.post(volumes, { volume: { size: 1 } })));
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    const placed = answers.filter((answer) => answer.body.volume.status === 'creating');
    const refused = answers.filter((answer) => answer.body.volume.status === 'error');
    expect({ placed: placed.length, refused: refused.length }).toEqual({ placed: 10, refused: 6 });
    expect((await service.dataSource.getRepository(BackendEntity).findOneByOrFail({ name: 'small' })).allocatedCapacityGb).toBe(10);
    expect(await messagesOf(refused[0]?.body.volume.id)).toEqual([expect.objectContaining({ user_message: expect.stringContaining('storage1@small#small: not enough capacity: 0 GiB left for 1 GiB') })]);

    const shown = (await admin.get(`/v3/${aliceProject}/volumes/${placed[0]?.body.volume.id}`)).body.volume;
    expect(shown['os-vol-host-attr:host']).toBe('storage1@small#small');
    expect((await alice.get(`/v3/${aliceProject}/volumes/${placed[0]?.body.volume.id}`)).body.volume['os-vol-host-attr:host']).toBeUndefined();
  });

  it("follows the type's volume_backend_name", async () => {
    await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'gold', extra_specs: { volume_backend_name: 'gold' } } });
    const refused = (await alice.post(volumes, { volume: { size: 1, volume_type: 'gold' } })).body.volume;
    expect(refused.status).toBe('error');
    expect(await messagesOf(refused.id)).toEqual([expect.objectContaining({ user_message: expect.stringContaining('volume_backend_name is small, not gold') })]);
    await service.report({ host: 'storage2', backends: [thickBackend('gold', 100)] });
    const placed = (await alice.post(volumes, { volume: { size: 1, volume_type: 'gold' } })).body.volume;
    expect(placed).toMatchObject({ status: 'creating', volume_type: 'gold' });
  });

  it('fails, saying why, the work a volume agent was given before it restarted', async () => {
    await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'restarting', extra_specs: { volume_backend_name: 'restarting' } } });
    const firstProcess = new Date(Date.now() - 60_000).toISOString();
    await service.report({ host: 'storage3', backends: [thickBackend('restarting', 100)], startedAt: firstProcess });
    const volume = (await alice.post(volumes, { volume: { size: 1, volume_type: 'restarting' } })).body.volume;
    expect(volume.status).toBe('creating');
    // The same process reporting again changes nothing; a new one means the create was lost with the old.
    await service.report({ host: 'storage3', backends: [thickBackend('restarting', 100)], startedAt: firstProcess });
    expect((await alice.get(`${volumes}/${volume.id}`)).body.volume.status).toBe('creating');
    await service.report({ host: 'storage3', backends: [thickBackend('restarting', 100)], startedAt: new Date(Date.now() + 1000).toISOString() });
    await eventually(async () => (await alice.get(`${volumes}/${volume.id}`)).body.volume.status, (status) => status === 'error');
    expect(await messagesOf(volume.id)).toEqual([expect.objectContaining({ user_message: 'create volume: the volume agent on storage3 restarted before the operation ended' })]);
  });

  it("refuses what takes a project over its quota, with Cinder's 413", async () => {
    await admin.put(`/v3/${adminProject}/os-quota-sets/${aliceProject}`, { quota_set: { gigabytes: 30 } });
    expectCinderError(await alice.post(volumes, { volume: { size: 50 } }), 413, /VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota/);
    await admin.put(`/v3/${adminProject}/os-quota-sets/${aliceProject}`, { quota_set: { gigabytes: -1, per_volume_gigabytes: 5 } });
    expectCinderError(await alice.post(volumes, { volume: { size: 6 } }), 413, 'VolumeSizeExceedsLimit: Requested volume size 6G is larger than maximum allowed limit 5G.');
    // A type's own quota: Alice has two gold volumes already (the one in error counts, as in Cinder).
    expect((await admin.put(`/v3/${adminProject}/os-quota-sets/${aliceProject}`, { quota_set: { volumes_gold: 2 } })).status).toBe(200);
    expectCinderError(await alice.post(volumes, { volume: { size: 1, volume_type: 'gold' } }), 413, /volumes_gold/);
    expect((await alice.post(volumes, { volume: { size: 1 } })).status).toBe(202);
  });

  it('refuses bad input with a 400 naming the field, and unknown ids with a 404', async () => {
    expectCinderError(await alice.post(volumes, { volume: { size: 0 } }), 400, /Invalid input for field\/attribute size\. Value: 0\. is less than the minimum of 1/);
    expectCinderError(await alice.post(volumes, { volume: {} }), 400, /Volume size 'undefined' must be an integer and greater than 0/);
    expectCinderError(await alice.post(volumes, {}), 400, "Invalid input received: Missing required element 'volume' in request body.");
    expectCinderError(await alice.post(volumes, { volume: { size: 1, availability_zone: 'mars' } }), 400, "Invalid input received: Availability zone 'mars' is invalid.");
    expectCinderError(await alice.get(`${volumes}/not-a-uuid`), 404, 'Volume not-a-uuid could not be found.');
    expectCinderError(await alice.get(`${volumes}/`), 404);
    expectCinderError(await alice.post(`${volumes}/${randomUUID()}/action`, { 'os-no-such-action': {} }), 400, 'There is no such action: os-no-such-action');
  });

  it('answers in the microversion asked for, within 3.0–3.44', async () => {
    const latest = await alice.get(volumes, { headers: { 'OpenStack-API-Version': 'volume latest' } });
    expect(latest.headers.get('openstack-api-version')).toBe('volume 3.44');
    expect((await alice.get(volumes)).headers.get('openstack-api-version')).toBe('volume 3.0');
    expectCinderError(await alice.get(volumes, { headers: { 'OpenStack-API-Version': 'volume 3.99' } }), 406, 'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.44.');
    expectCinderError(await alice.get(volumes, { headers: { 'OpenStack-API-Version': 'volume 3.x' } }), 400, 'Invalid API version request: 3.x');
    // The attachments API starts at 3.27; the volume summary at 3.12.
    expectCinderError(await alice.get(`/v3/${aliceProject}/attachments`), 404);
    expect((await alice.get(`/v3/${aliceProject}/attachments`, { headers: { 'OpenStack-API-Version': 'volume 3.27' } })).status).toBe(200);
    expect((await alice.get(`${volumes}/summary`, { headers: { 'OpenStack-API-Version': 'volume 3.12' } })).body['volume-summary']).toMatchObject({ total_count: expect.any(Number) });
  });
});
