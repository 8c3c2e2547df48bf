import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { expectNovaError, type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin', isAdminProject: true };

/** Where a server's room is held: by the server, and by its migration on the source while a move waits for confirmation. */
interface Allocation {
  consumer: string;
  host: string;
  memory_mb: number;
}

describe('compute: resize and cold migration on fake hosts', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let admin: ApiClient;
  let imageId: string;
  let first: FakeHost;

  const server = async (id: string): Promise<Json> => (await admin.get(`/v2.1/servers/${id}`)).body.server;
  const settledAs = async (id: string, statuses: string[]): Promise<Json> => eventually(() => server(id), (body) => statuses.includes(body.status) && body['OS-EXT-STS:task_state'] === null, 10_000);
  const act = (id: string, body: unknown, as: ApiClient = alice) => as.post(`/v2.1/servers/${id}/action`, body);
  const allocations = (id: string) =>
    compute.dataSource.query<Allocation[]>(
      `SELECT CASE WHEN a.instance_id = $1 THEN 'server' ELSE 'migration' END AS consumer, n.host, a.memory_mb
       FROM allocations a JOIN compute_nodes n ON n.id = a.node_id
       WHERE a.instance_id = $1 OR a.instance_id IN (SELECT uuid FROM server_migrations WHERE instance_id = $1) ORDER BY consumer`,
      [id],
    );
  const boot = async (name: string): Promise<string> => {
    const created = await alice.post('/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: 'tiny' } });
    expect(created.status).toBe(202);
    expect((await settledAs(created.body.server.id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    return created.body.server.id as string;
  };
  const held = async (host: FakeHost, id: string) => (await host.driver.listInstances()).find((instance) => instance.id === id)?.powerState;
  const actionsOf = async (id: string) => ((await alice.get(`/v2.1/servers/${id}/os-instance-actions`)).body.instanceActions as Json[]).map((action) => action.action).reverse();

  beforeAll(async () => {
    compute = await startTestCompute();
    alice = await compute.client(ALICE);
    admin = await compute.client(ADMIN);
    const flavors = [
      { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 },
      { name: 'm1.small', id: 'small', vcpus: 2, ram: 256, disk: 2 },
      { name: 'm1.nodisk', id: 'nodisk', vcpus: 1, ram: 128, disk: 0 },
      { name: 'm1.many', id: 'many', vcpus: 30, ram: 128, disk: 1 },
      { name: 'm1.roomy', id: 'roomy', vcpus: 1, ram: 4096, disk: 1 },
    ];
    for (const flavor of flavors) {
      expect((await admin.post('/v2.1/flavors', { flavor })).status).toBe(200);
    }
    imageId = await compute.uploadImage(ALICE);
    first = await compute.startFakeHost('move-1', { vcpus: 4, memoryMb: 1024, localGb: 100 });
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('resizes in place and confirms: VERIFY_RESIZE holds both flavors on the host, the confirm frees the old one', async () => {
    const id = await boot('grows');
    expect((await act(id, { resize: { flavorRef: 'small' } })).status).toBe(202);
    const resized = await settledAs(id, ['VERIFY_RESIZE', 'ERROR']);
    expect(resized).toMatchObject({ status: 'VERIFY_RESIZE', 'OS-EXT-STS:vm_state': 'resized', 'OS-EXT-SRV-ATTR:host': 'move-1', flavor: { id: 'small' } });
    expect(await allocations(id)).toEqual([
      { consumer: 'migration', host: 'move-1', memory_mb: 128 },
      { consumer: 'server', host: 'move-1', memory_mb: 256 },
    ]);
    const confirmed = await act(id, { confirmResize: null });
    expect(confirmed.status).toBe(204);
    expect((await settledAs(id, ['ACTIVE', 'ERROR'])).flavor.id).toBe('small');
    expect(await allocations(id)).toEqual([{ consumer: 'server', host: 'move-1', memory_mb: 256 }]);
    expect(await held(first, id)).toBe(1);
    expect(await actionsOf(id)).toEqual(['create', 'resize', 'confirmResize']);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
  }, 30_000);

  it('reverts a resize: the old flavor and guest come back, and a stopped server stays stopped', async () => {
    const id = await boot('shrinks-back');
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await settledAs(id, ['SHUTOFF']);
    expect((await act(id, { resize: { flavorRef: 'small' } })).status).toBe(202);
    expect(await settledAs(id, ['VERIFY_RESIZE', 'ERROR'])).toMatchObject({ status: 'VERIFY_RESIZE', 'OS-EXT-STS:power_state': 4 });
    expect((await act(id, { revertResize: null })).status).toBe(202);
    const reverted = await settledAs(id, ['SHUTOFF', 'ACTIVE', 'ERROR']);
    expect(reverted).toMatchObject({ status: 'SHUTOFF', flavor: { id: 'tiny' } });
    expect(await allocations(id)).toEqual([{ consumer: 'server', host: 'move-1', memory_mb: 128 }]);
    expect(await actionsOf(id)).toEqual(['create', 'stop', 'resize', 'revertResize']);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
  }, 30_000);

  it("refuses what cannot be resized or migrated with Nova's errors, and leaves the server as it was", async () => {
    const id = await boot('refused');
    expectNovaError(await act(id, { resize: { flavorRef: 'tiny' } }), 400, 'When resizing, instances must change flavor!');
    expectNovaError(await act(id, { resize: { flavorRef: 'nope' } }), 400, 'Flavor nope could not be found.');
    expectNovaError(await act(id, { resize: {} }), 400);
    expectNovaError(await act(id, { resize: { flavorRef: 'nodisk' } }), 400, 'Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
    expectNovaError(await act(id, { resize: { flavorRef: 'many' } }), 403, /^Quota exceeded for cores: Requested 29, but already used \d+ of 20 cores$/);
    expectNovaError(await act(id, { resize: { flavorRef: 'roomy' } }), 400, /^No valid host was found\. move-1: RamFilter: needs 4096 MiB of RAM/);
    expectNovaError(await act(id, { confirmResize: null }), 409, `Cannot 'confirmResize' instance ${id} while it is in vm_state active`);
    expectNovaError(await act(id, { revertResize: null }), 409, `Cannot 'revertResize' instance ${id} while it is in vm_state active`);
    // Only admins migrate; and a migration never stays on its host.
    expectNovaError(await act(id, { migrate: null }), 403);
    expectNovaError(await act(id, { migrate: null }, admin), 400, 'No valid host was found. move-1: the server is already on this host.');
    expect((await act(id, { pause: null })).status).toBe(202);
    await settledAs(id, ['PAUSED']);
    expectNovaError(await act(id, { resize: { flavorRef: 'small' } }), 409, `Cannot 'resize' instance ${id} while it is in vm_state paused`);
    expect(await server(id)).toMatchObject({ status: 'PAUSED', flavor: { id: 'tiny' } });
    expect(await allocations(id)).toEqual([{ consumer: 'server', host: 'move-1', memory_mb: 128 }]);
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
  }, 30_000);

  describe('between hosts', () => {
    let second: FakeHost;
    const transferImages = async () => {
      const images = compute.imageApi.as(await compute.token(ALICE));
      return ((await images.get('/v2/images?os_hidden=true')).body.images as Json[]).filter((image) => String(image.name).includes('moving to another host'));
    };

    beforeAll(async () => {
      second = await compute.startFakeHost('move-2', { vcpus: 4, memoryMb: 1024, localGb: 100 });
    }, 30_000);

    it('cold-migrates through the image service, back by a revert, and over again by a confirm', async () => {
      const id = await boot('travels');
      expect((await act(id, { migrate: null }, admin)).status).toBe(202);
      expect(await settledAs(id, ['VERIFY_RESIZE', 'ERROR'])).toMatchObject({ status: 'VERIFY_RESIZE', 'OS-EXT-SRV-ATTR:host': 'move-2', flavor: { id: 'tiny' } });
      // The fake destination checked that the data it fetched is this server's disk; the image that carried it is gone.
      expect(await held(second, id)).toBe(1);
      expect(await held(first, id)).toBeUndefined();
      expect(await transferImages()).toEqual([]);
      expect(await allocations(id)).toEqual([
        { consumer: 'migration', host: 'move-1', memory_mb: 128 },
        { consumer: 'server', host: 'move-2', memory_mb: 128 },
      ]);

      expect((await act(id, { revertResize: null })).status).toBe(202);
      expect(await settledAs(id, ['ACTIVE', 'ERROR'])).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'move-1' });
      expect(await held(first, id)).toBe(1);
      expect(await held(second, id)).toBeUndefined();
      expect(await allocations(id)).toEqual([{ consumer: 'server', host: 'move-1', memory_mb: 128 }]);

      expect((await act(id, { migrate: null }, admin)).status).toBe(202);
      await settledAs(id, ['VERIFY_RESIZE']);
      expect((await act(id, { confirmResize: null })).status).toBe(204);
      expect(await settledAs(id, ['ACTIVE', 'ERROR'])).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'move-2' });
      expect(await allocations(id)).toEqual([{ consumer: 'server', host: 'move-2', memory_mb: 128 }]);
      expect(await actionsOf(id)).toEqual(['create', 'migrate', 'revertResize', 'migrate', 'confirmResize']);
      expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    }, 30_000);

    it('deleting a server that waits for its confirmation frees both hosts', async () => {
      const id = await boot('deleted-midway');
      expect((await act(id, { migrate: null }, admin)).status).toBe(202);
      await settledAs(id, ['VERIFY_RESIZE']);
      expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
      await eventually(() => alice.get(`/v2.1/servers/${id}`), (response) => response.status === 404, 10_000);
      expect(await allocations(id)).toEqual([]);
      for (const host of [first, second]) {
        expect(await held(host, id)).toBeUndefined();
      }
    }, 30_000);

    it('undoes a move the destination fails: the server runs on its source as before, and the failure is in its actions', async () => {
      // The broken host has the most free RAM: spread sends the move there.
      const broken = await compute.startFakeHost('move-broken', { vcpus: 4, memoryMb: 8192, localGb: 100, spawnFailure: 'the disk is on fire' });
      const id = await boot('bounced');
      const source = (await server(id))['OS-EXT-SRV-ATTR:host'] as string;
      expect(source).not.toBe('move-broken');
      expect((await act(id, { migrate: null }, admin)).status).toBe(202);
      const after = await eventually(() => server(id), (body) => body.status === 'ACTIVE' && body['OS-EXT-STS:task_state'] === null && body['OS-EXT-SRV-ATTR:host'] === source, 10_000);
      expect(after).toMatchObject({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null, 'OS-EXT-SRV-ATTR:host': source, flavor: { id: 'tiny' } });
      expect(await broken.driver.listInstances()).toEqual([]);
      expect(await allocations(id)).toEqual([{ consumer: 'server', host: source, memory_mb: 128 }]);
      expect(await transferImages()).toEqual([]);
      const migrate = ((await admin.get(`/v2.1/servers/${id}/os-instance-actions`)).body.instanceActions as Json[]).find((action) => action.action === 'migrate');
      const events = (await admin.get(`/v2.1/servers/${id}/os-instance-actions/${migrate?.request_id}`)).body.instanceAction.events as Json[];
      expect(events.find((event) => event.event === 'compute_finish_resize')).toMatchObject({ result: 'Error' });
      expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    }, 30_000);
  });
});
