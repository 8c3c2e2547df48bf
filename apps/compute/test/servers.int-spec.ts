import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { expectNovaError, type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

describe('compute API: servers on fake hosts', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let imageId: string;
  let hostA: FakeHost;

  const uploadImage = (properties: Record<string, unknown> = {}, size = 1024) => compute.uploadImage(ALICE, properties, size);

  const waitForStatus = async (client: ApiClient, id: string, statuses: string[], deadlineMs = 10_000) => {
    const server = await eventually(
      async () => (await client.get(`/v2.1/servers/${id}`)).body?.server,
      (body: Json) => body !== undefined && statuses.includes(body.status),
      deadlineMs,
    );
    expect(statuses).toContain(server?.status);
    return server;
  };
  const waitUntilGone = async (client: ApiClient, id: string) => {
    const status = await eventually(async () => (await client.get(`/v2.1/servers/${id}`)).status, (code) => code === 404);
    expect(status).toBe(404);
  };
  const boot = async (client: ApiClient, server: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    client.post('/v2.1/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: 'tiny', ...server }, ...extra });
  const allocations = async () => compute.dataSource.query<{ instance_id: string; host: string; vcpus: number; memory_mb: number }[]>(
    'SELECT a.instance_id, n.host, a.vcpus, a.memory_mb FROM allocations a JOIN compute_nodes n ON n.id = a.node_id',
  );

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1', OVERCAST_COMPUTE_QUOTA_CORES: '-1', OVERCAST_COMPUTE_QUOTA_RAM: '-1' });
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.huge', id: 'huge', vcpus: 4, ram: 65536, disk: 1 } })).status).toBe(200);
    hostA = await compute.startFakeHost('host-a');
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('boots a server to ACTIVE on a host, shows and lists it, and deletes it leaving no allocation', async () => {
    imageId ??= await uploadImage();
    const created = await boot(alice, { name: 'web-1', metadata: { role: 'web' } });
    expect(created.status).toBe(202);
    expect(created.body.server).toMatchObject({ id: expect.any(String), 'OS-DCF:diskConfig': 'MANUAL', adminPass: expect.any(String), security_groups: [{ name: 'default' }] });
    const id = created.body.server.id as string;

    const server = await waitForStatus(alice, id, ['ACTIVE']);
    expect(server).toMatchObject({
      id,
      name: 'web-1',
      tenant_id: ALICE.projectId,
      user_id: ALICE.userId,
      metadata: { role: 'web' },
      image: { id: imageId },
      flavor: { id: 'tiny' },
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': 1,
      'OS-EXT-STS:task_state': null,
      'OS-EXT-AZ:availability_zone': 'nova',
      hostId: expect.stringMatching(/^[0-9a-f]{56}$/),
    });
    expect(server).not.toHaveProperty('OS-EXT-SRV-ATTR:host');
    expect((await admin.get(`/v2.1/servers/${id}`)).body.server['OS-EXT-SRV-ATTR:host']).toBe('host-a');
    expect(await allocations()).toEqual([{ instance_id: id, host: 'host-a', vcpus: 1, memory_mb: 128 }]);

    expect((await alice.get('/v2.1/servers')).body.servers).toEqual([{ id, name: 'web-1', links: expect.any(Array) }]);
    expect((await alice.get('/v2.1/servers/detail?status=ACTIVE')).body.servers.map((listed: Json) => listed.id)).toEqual([id]);
    expect((await alice.get('/v2.1/servers/detail?status=SHUTOFF')).body.servers).toEqual([]);
    expect((await alice.get('/v2.1/servers?name=web')).body.servers).toHaveLength(1);

    // Another project sees nothing of it.
    expectNovaError(await bob.get(`/v2.1/servers/${id}`), 404, `Instance ${id} could not be found.`);
    expectNovaError(await bob.delete(`/v2.1/servers/${id}`), 404);
    expect((await bob.get('/v2.1/servers')).body.servers).toEqual([]);
    expect((await bob.get('/v2.1/servers?all_tenants=1')).status).toBe(403);
    expect((await admin.get('/v2.1/servers?all_tenants=1')).body.servers.map((listed: Json) => listed.id)).toContain(id);

    const renamed = await alice.put(`/v2.1/servers/${id}`, { server: { name: 'web-2' } });
    expect(renamed.body.server.name).toBe('web-2');

    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
    expect(await allocations()).toEqual([]);
    const changes = await alice.get(`/v2.1/servers/detail?changes-since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`);
    expect(changes.body.servers.find((listed: Json) => listed.id === id)?.status).toBe('DELETED');
  });

  it('gives a server a port on the network it names, bound to its host, and removes the port with it', async () => {
    imageId ??= await uploadImage();
    const network = compute.networkApi.as(await compute.token(ALICE));
    const net = (await network.post('/v2.0/networks', { network: { name: 'net1' } })).body.network;
    expect((await network.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4 } })).status).toBe(201);

    const created = await boot(alice, { name: 'netted', networks: [{ uuid: net.id }] });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    const server = await waitForStatus(alice, id, ['ACTIVE']);
    const address = server.addresses.net1?.[0];
    expect(address).toMatchObject({ version: 4, addr: expect.stringMatching(/^10\.20\.0\./), 'OS-EXT-IPS:type': 'fixed' });

    const ports = (await network.get(`/v2.0/ports?device_id=${id}`)).body.ports;
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatchObject({ device_owner: 'compute:nova', fixed_ips: [{ ip_address: address.addr }] });
    const adminNetwork = compute.networkApi.as(await compute.token(ADMIN));
    expect((await adminNetwork.get(`/v2.0/ports/${ports[0].id}`)).body.port['binding:host_id']).toBe('host-a');

    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
    expect((await network.get(`/v2.0/ports?device_id=${id}`)).body.ports).toEqual([]);
  });

  it('refuses what a user can get wrong with a 4xx and records nothing', async () => {
    imageId ??= await uploadImage();
    const before = (await alice.get('/v2.1/servers')).body.servers.length;
    expectNovaError(await boot(alice, { flavorRef: 'no-such-flavor' }), 400, 'Flavor no-such-flavor could not be found.');
    expectNovaError(await boot(alice, { imageRef: randomUUID() }), 400, /^Image .* could not be found\.$/);
    expectNovaError(await boot(alice, { networks: [{ uuid: randomUUID() }] }), 400, /^Network .* could not be found\.$/);
    expectNovaError(await boot(alice, { networks: [{ port: randomUUID() }] }), 400, /^Port .* could not be found\.$/);
    expectNovaError(await boot(alice, { key_name: 'nope' }), 400);
    expectNovaError(await boot(alice, { name: '' }), 400);
    expectNovaError(await boot(alice, { bogus: 1 }), 400);
    expectNovaError(await boot(alice, { user_data: 'not base64!' }), 400);
    expectNovaError(await boot(alice, { min_count: 3, max_count: 2 }), 400);
    expectNovaError(await boot(alice, { availability_zone: 'nowhere' }), 400, 'The requested availability zone is not available');
    const bigImage = await uploadImage({ min_disk: 5 });
    expectNovaError(await boot(alice, { imageRef: bigImage }), 400, "Flavor's disk is too small for requested image.");
    const hungryImage = await uploadImage({ min_ram: 4096 });
    expectNovaError(await boot(alice, { imageRef: hungryImage }), 400, "Flavor's memory is too small for requested image.");
    expectNovaError(await alice.post('/v2.1/servers', { nope: {} }), 400);
    expectNovaError(await alice.get('/v2.1/servers/detail?sort_key=bogus'), 400);
    expectNovaError(await alice.get(`/v2.1/servers?marker=${randomUUID()}`), 400);
    expectNovaError(await alice.get('/v2.1/servers/not-a-uuid'), 404);
    const reader = await compute.client({ projectId: ALICE.projectId, roles: ['reader'] });
    expectNovaError(await boot(reader, {}), 403);
    expect((await alice.get('/v2.1/servers')).body.servers).toHaveLength(before);
  });

  it('puts a server no host can hold in ERROR with a fault naming, per host, the filter that refused it', async () => {
    imageId ??= await uploadImage();
    const created = await boot(alice, { name: 'too-big', flavorRef: 'huge' });
    expect(created.status).toBe(202);
    const server = await waitForStatus(alice, created.body.server.id, ['ERROR']);
    expect(server.fault).toMatchObject({ code: 500, message: expect.stringMatching(/^No valid host was found\. host-a: RamFilter: needs 65536 MiB of RAM/) });
    expect(await allocations()).toEqual([]);
    expect((await alice.delete(`/v2.1/servers/${server.id}`)).status).toBe(204);
    await waitUntilGone(alice, server.id);
  });

  it('stops, starts, reboots, pauses, suspends and locks a server as Nova allows, refusing the rest with 409', async () => {
    imageId ??= await uploadImage();
    const id = (await boot(alice, { name: 'actions' })).body.server.id as string;
    await waitForStatus(alice, id, ['ACTIVE']);
    const act = (body: unknown, client = alice) => client.post(`/v2.1/servers/${id}/action`, body);
    const settle = async (status: string, powerState: number) => {
      const server = await waitForStatus(alice, id, [status]);
      expect(server['OS-EXT-STS:task_state']).toBeNull();
      expect(server['OS-EXT-STS:power_state']).toBe(powerState);
    };

    expectNovaError(await act({ 'os-start': null }), 409, `Cannot 'start' instance ${id} while it is in vm_state active`);
    expect((await act({ 'os-stop': null })).status).toBe(202);
    await settle('SHUTOFF', 4);
    expectNovaError(await act({ 'os-stop': null }), 409);
    expectNovaError(await act({ reboot: { type: 'SOFT' } }), 409);
    expect((await act({ 'os-start': null })).status).toBe(202);
    await settle('ACTIVE', 1);
    expect((await act({ reboot: { type: 'SOFT' } })).status).toBe(202);
    await settle('ACTIVE', 1);
    expect((await act({ reboot: { type: 'HARD' } })).status).toBe(202);
    await settle('ACTIVE', 1);
    expectNovaError(await act({ reboot: { type: 'GENTLE' } }), 400);
    expect((await act({ pause: null })).status).toBe(202);
    await settle('PAUSED', 3);
    expect((await act({ unpause: null })).status).toBe(202);
    await settle('ACTIVE', 1);
    expect((await act({ suspend: null })).status).toBe(202);
    await settle('SUSPENDED', 7);
    expectNovaError(await act({ pause: null }), 409);
    expect((await act({ resume: null })).status).toBe(202);
    await settle('ACTIVE', 1);

    const console = await act({ 'os-getConsoleOutput': { length: 50 } });
    expect(console.status).toBe(200);
    expect(console.body.output).toContain(`fake guest ${id} booted`);

    // An admin's lock binds the owner, who can neither act nor lift it.
    expect((await act({ lock: { locked_reason: 'maintenance' } }, admin)).status).toBe(202);
    expectNovaError(await act({ 'os-stop': null }), 409, `Instance ${id} is locked`);
    expectNovaError(await alice.delete(`/v2.1/servers/${id}`), 409);
    expectNovaError(await act({ unlock: null }), 403);
    expect((await act({ unlock: null }, admin)).status).toBe(202);
    expectNovaError(await act({ teleport: null }), 400, 'There is no such action: teleport');
    expectNovaError(await act({ 'os-stop': null }, bob), 404);

    const actions = (await compute.dataSource.query<{ action: string }[]>('SELECT action FROM instance_actions WHERE instance_id = $1 ORDER BY start_time', [id])).map((row) => row.action);
    expect(actions).toEqual(['create', 'stop', 'start', 'reboot', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'lock', 'unlock']);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
  });

  it('rebuilds a server from another image in place, keeping its address, and a stopped one stays stopped', async () => {
    imageId ??= await uploadImage();
    const other = await uploadImage({ name: 'other' });
    const id = (await boot(alice, { name: 'rebuilt', metadata: { a: '1' } })).body.server.id as string;
    await waitForStatus(alice, id, ['ACTIVE']);
    const response = await alice.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: other, name: 'rebuilt-2', metadata: { b: '2' }, adminPass: 'new-secret' } });
    expect(response.status).toBe(202);
    expect(response.body.server).toMatchObject({ id, name: 'rebuilt-2', status: 'REBUILD', image: { id: other }, metadata: { b: '2' }, adminPass: 'new-secret' });
    // The basic view, as Nova answers a rebuild: no extension attributes.
    expect(response.body.server).not.toHaveProperty('OS-EXT-STS:task_state');
    const rebuilt = await waitForStatus(alice, id, ['ACTIVE', 'ERROR']);
    expect(rebuilt).toMatchObject({ status: 'ACTIVE', image: { id: other }, 'OS-EXT-STS:task_state': null });
    expect(await hostA.driver.listInstances()).toContainEqual({ id, powerState: 1 });

    expect((await alice.post(`/v2.1/servers/${id}/action`, { 'os-stop': null })).status).toBe(202);
    await waitForStatus(alice, id, ['SHUTOFF']);
    expect((await alice.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: imageId } })).status).toBe(202);
    const stopped = await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).body.server, (body: Json) => body['OS-EXT-STS:task_state'] === null);
    expect(stopped).toMatchObject({ status: 'SHUTOFF', image: { id: imageId } });

    expectNovaError(await alice.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: randomUUID() } }), 400, /could not be found/);
    expectNovaError(await alice.post(`/v2.1/servers/${id}/action`, { rebuild: {} }), 400);
    expectNovaError(await bob.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: imageId } }), 404);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
  });

  it('snapshots a server into a new image of the project, uploaded by its host', async () => {
    imageId ??= await uploadImage();
    const id = (await boot(alice, { name: 'snapped' })).body.server.id as string;
    await waitForStatus(alice, id, ['ACTIVE']);
    const response = await alice.post(`/v2.1/servers/${id}/action`, { createImage: { name: 'snap-1', metadata: { purpose: 'test' } } });
    expect(response.status).toBe(202);
    const snapshotId = response.headers.get('location')?.split('/').pop() as string;
    const images = compute.imageApi.as(await compute.token(ALICE));
    const image = await eventually(async () => (await images.get(`/v2/images/${snapshotId}`)).body, (body: Json) => body?.status === 'active');
    expect(image).toMatchObject({ name: 'snap-1', status: 'active', disk_format: 'qcow2', instance_uuid: id, image_type: 'snapshot', base_image_ref: imageId, purpose: 'test' });
    await waitForStatus(alice, id, ['ACTIVE']);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
  });

  it('shows a guest stopped outside Overcast as SHUTOFF once its host reports it', async () => {
    imageId ??= await uploadImage();
    const id = (await boot(alice, { name: 'synced' })).body.server.id as string;
    await waitForStatus(alice, id, ['ACTIVE']);
    hostA.driver.setPowerState(id, 4);
    const synced = await waitForStatus(alice, id, ['SHUTOFF']);
    expect(synced['OS-EXT-STS:power_state']).toBe(4);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await waitUntilGone(alice, id);
  });
});
