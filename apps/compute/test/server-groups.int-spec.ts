import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

describe('compute API: server groups on fake hosts', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let imageId: string;

  const createGroup = async (policy: string, client = alice, name = `group-${policy}`) => {
    const created = await client.post('/v2.1/os-server-groups', { server_group: { name, policies: [policy] } });
    expect(created.status).toBe(200);
    return created.body.server_group as Json;
  };
  const bootInto = async (groupId: string, name: string) => {
    const created = await alice.post('/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: 'tiny' }, 'os:scheduler_hints': { group: groupId } });
    expect(created.status).toBe(202);
    return created.body.server.id as string;
  };
  /** The servers once each is ACTIVE or ERROR, as an admin sees them (with their hosts). */
  const settled = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const server = await eventually(async () => (await admin.get(`/v2.1/servers/${id}`)).body.server, (body: Json) => ['ACTIVE', 'ERROR'].includes(body?.status), 10_000);
        expect(['ACTIVE', 'ERROR']).toContain(server?.status);
        return server as Json;
      }),
    );
  const deleteAll = async (ids: string[]) => {
    await Promise.all(ids.map((id) => alice.delete(`/v2.1/servers/${id}`)));
    const gone = await eventually(() => Promise.all(ids.map(async (id) => (await alice.get(`/v2.1/servers/${id}`)).status)), (codes) => codes.every((code) => code === 404));
    expect(gone.every((code) => code === 404)).toBe(true);
  };

  beforeAll(async () => {
    compute = await startTestCompute({
      OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1',
      OVERCAST_COMPUTE_QUOTA_CORES: '-1',
      OVERCAST_COMPUTE_QUOTA_RAM: '-1',
      OVERCAST_COMPUTE_QUOTA_SERVER_GROUPS: '6',
      OVERCAST_COMPUTE_QUOTA_SERVER_GROUP_MEMBERS: '4',
    });
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    // Community, so that other projects may boot it.
    imageId = await compute.uploadImage(ALICE, { visibility: 'community' });
    for (const host of ['host-1', 'host-2', 'host-3']) {
      await compute.startFakeHost(host);
    }
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('creates, shows, lists and deletes a group as Nova 2.1 shows it', async () => {
    const group = await createGroup('affinity', alice, 'web tier');
    expect(group).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'web tier', policies: ['affinity'], members: [], metadata: {} });
    expect((await alice.get(`/v2.1/os-server-groups/${group.id}`)).body).toEqual({ server_group: group });
    expect((await alice.get('/v2.1/os-server-groups')).body).toEqual({ server_groups: [group] });

    // Other projects see none of it; an admin asks for every project's.
    expectNovaError(await bob.get(`/v2.1/os-server-groups/${group.id}`), 404, `Instance group ${group.id} could not be found.`);
    expectNovaError(await bob.delete(`/v2.1/os-server-groups/${group.id}`), 404);
    expect((await bob.get('/v2.1/os-server-groups?all_projects=1')).body.server_groups).toEqual([]);
    expect((await admin.get('/v2.1/os-server-groups')).body.server_groups).toEqual([]);
    expect((await admin.get('/v2.1/os-server-groups?all_projects=True')).body.server_groups.map((listed: Json) => listed.id)).toEqual([group.id]);
    expect((await admin.get(`/v2.1/os-server-groups/${group.id}`)).status).toBe(200);
    // A server cannot join another project's group.
    const intruder = await bob.post('/v2.1/servers', { server: { name: 'x', imageRef: imageId, flavorRef: 'tiny' }, 'os:scheduler_hints': { group: group.id } });
    expectNovaError(intruder, 400, `Invalid hint: server group ${group.id} could not be found.`);

    const second = await createGroup('anti-affinity', alice, 'db tier');
    expect((await alice.get('/v2.1/os-server-groups?limit=1')).body.server_groups.map((listed: Json) => listed.id)).toEqual([group.id]);
    expect((await alice.get('/v2.1/os-server-groups?limit=1&offset=1')).body.server_groups.map((listed: Json) => listed.id)).toEqual([second.id]);

    expect((await alice.delete(`/v2.1/os-server-groups/${group.id}`)).status).toBe(204);
    expect((await alice.delete(`/v2.1/os-server-groups/${second.id}`)).status).toBe(204);
    expectNovaError(await alice.get(`/v2.1/os-server-groups/${group.id}`), 404);
    expect((await alice.get('/v2.1/os-server-groups')).body.server_groups).toEqual([]);
  });

  it('refuses a bad group with Nova 400s and a missing one with 404s', async () => {
    const create = (body: unknown) => alice.post('/v2.1/os-server-groups', body);
    expectNovaError(await create({ server_group: { name: 'g', policies: ['bogus'] } }), 400);
    expectNovaError(await create({ server_group: { name: 'g', policies: ['affinity', 'anti-affinity'] } }), 400);
    expectNovaError(await create({ server_group: { name: 'g', policies: [] } }), 400);
    expectNovaError(await create({ server_group: { name: 'g' } }), 400);
    expectNovaError(await create({ server_group: { policies: ['affinity'] } }), 400);
    expectNovaError(await create({ server_group: { name: '', policies: ['affinity'] } }), 400);
    expectNovaError(await create({ server_group: { name: ' padded ', policies: ['affinity'] } }), 400);
    expectNovaError(await create({ server_group: { name: 'g', policies: ['affinity'], extra: 1 } }), 400);
    // `policy` and `rules` are 2.64's; the soft policies 2.15's.
    expectNovaError(await create({ server_group: { name: 'g', policy: 'affinity' } }), 400);
    expectNovaError(await create({ server_group: { name: 'g', policies: ['soft-anti-affinity'] } }), 400);
    expectNovaError(await create({ nope: {} }), 400);
    expectNovaError(await alice.get('/v2.1/os-server-groups?limit=-1'), 400);
    expectNovaError(await alice.get('/v2.1/os-server-groups?offset=x'), 400);
    expectNovaError(await alice.get('/v2.1/os-server-groups/not-a-uuid'), 404);
    expectNovaError(await alice.delete(`/v2.1/os-server-groups/${randomUUID()}`), 404);
    const reader = await compute.client({ projectId: ALICE.projectId, roles: ['reader'], userId: 'reader' });
    expectNovaError(await reader.post('/v2.1/os-server-groups', { server_group: { name: 'g', policies: ['affinity'] } }), 403);
    expect((await alice.get('/v2.1/os-server-groups')).body.server_groups).toEqual([]);
  });

  it('spreads an anti-affinity group over the hosts, lists its members, and puts a member no host may take in ERROR', async () => {
    const group = await createGroup('anti-affinity');
    const ids = [];
    for (const name of ['anti-1', 'anti-2', 'anti-3']) {
      ids.push(await bootInto(group.id, name));
    }
    const servers = await settled(ids);
    expect(servers.map((server) => server.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(new Set(servers.map((server) => server['OS-EXT-SRV-ATTR:host']))).toEqual(new Set(['host-1', 'host-2', 'host-3']));
    expect((await alice.get(`/v2.1/os-server-groups/${group.id}`)).body.server_group.members.sort()).toEqual([...ids].sort());

    const fourth = await bootInto(group.id, 'anti-4');
    const [failed] = await settled([fourth]);
    expect(failed?.status).toBe('ERROR');
    for (const host of ['host-1', 'host-2', 'host-3']) {
      expect(failed?.fault.message).toContain(`${host}: ServerGroupAntiAffinityFilter`);
    }

    // Deleted servers leave the group.
    await deleteAll([ids[0] as string, fourth]);
    expect((await alice.get(`/v2.1/os-server-groups/${group.id}`)).body.server_group.members.sort()).toEqual(ids.slice(1).sort());
    expect((await alice.get('/v2.1/os-server-groups')).body.server_groups.find((listed: Json) => listed.id === group.id).members.sort()).toEqual(ids.slice(1).sort());
    await deleteAll(ids.slice(1));
    expect((await alice.get(`/v2.1/os-server-groups/${group.id}`)).body.server_group.members).toEqual([]);
    expect((await alice.delete(`/v2.1/os-server-groups/${group.id}`)).status).toBe(204);
  }, 60_000);

  it('keeps an affinity group on one host', async () => {
    const group = await createGroup('affinity');
    const ids = [await bootInto(group.id, 'aff-1')];
    // The first member picks the host; the others follow it.
    await settled(ids);
    ids.push(await bootInto(group.id, 'aff-2'), await bootInto(group.id, 'aff-3'));
    const servers = await settled(ids);
    expect(servers.map((server) => server.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(new Set(servers.map((server) => server['OS-EXT-SRV-ATTR:host'])).size).toBe(1);
    await deleteAll(ids);
    expect((await alice.delete(`/v2.1/os-server-groups/${group.id}`)).status).toBe(204);
  }, 60_000);

  it('spreads a soft-anti-affinity group as far as the hosts go, then shares them rather than failing', async () => {
    // The soft policies come with 2.15, above the microversions served: the group is made as that API would make it.
    const groupId = randomUUID();
    await compute.dataSource.query("INSERT INTO server_groups (id, name, policy, rules, project_id, user_id) VALUES ($1, 'soft', 'soft-anti-affinity', '{}', $2, $3)", [groupId, ALICE.projectId, ALICE.userId]);
    expect((await alice.get(`/v2.1/os-server-groups/${groupId}`)).body.server_group.policies).toEqual(['soft-anti-affinity']);
    // Two hosts to spread over: the third is disabled.
    await compute.dataSource.query("UPDATE compute_nodes SET disabled = true, disabled_reason = 'maintenance' WHERE host = 'host-3'");
    try {
      const ids = [];
      for (const name of ['soft-1', 'soft-2', 'soft-3']) {
        ids.push(await bootInto(groupId, name));
        await settled(ids);
      }
      const servers = await settled(ids);
      expect(servers.map((server) => server.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
      const hosts = servers.map((server) => server['OS-EXT-SRV-ATTR:host'] as string);
      expect(new Set(hosts.slice(0, 2))).toEqual(new Set(['host-1', 'host-2']));
      expect(['host-1', 'host-2']).toContain(hosts[2]);
      await deleteAll(ids);
    } finally {
      await compute.dataSource.query("UPDATE compute_nodes SET disabled = false, disabled_reason = NULL WHERE host = 'host-3'");
    }
    expect((await alice.delete(`/v2.1/os-server-groups/${groupId}`)).status).toBe(204);
  }, 60_000);

  it('holds a project to its server_groups quota and a group to its server_group_members quota with Nova 403s', async () => {
    const existing = (await alice.get('/v2.1/os-server-groups')).body.server_groups.length;
    const made = [];
    for (let index = existing; index < 6; index++) {
      made.push((await createGroup('anti-affinity', alice, `quota-${index}`)).id as string);
    }
    expectNovaError(await alice.post('/v2.1/os-server-groups', { server_group: { name: 'one-too-many', policies: ['affinity'] } }), 403, 'Quota exceeded, too many server groups.');
    // Another project has its own.
    const bobGroup = await createGroup('affinity', bob);
    expect((await bob.delete(`/v2.1/os-server-groups/${bobGroup.id}`)).status).toBe(204);

    const groupId = made[0] as string;
    await compute.dataSource.query("UPDATE server_groups SET policy = 'soft-anti-affinity' WHERE id = $1", [groupId]);
    const ids = [];
    for (let index = 0; index < 4; index++) {
      ids.push(await bootInto(groupId, `member-${index}`));
    }
    const refused = await alice.post('/v2.1/servers', { server: { name: 'member-5', imageRef: imageId, flavorRef: 'tiny' }, 'os:scheduler_hints': { group: groupId } });
    expectNovaError(refused, 403, 'Quota exceeded, too many servers in group');
    // A deleted member frees its place.
    await settled(ids);
    await deleteAll([ids.shift() as string]);
    ids.push(await bootInto(groupId, 'member-5'));
    await settled(ids);
    await deleteAll(ids);
    for (const id of made) {
      expect((await alice.delete(`/v2.1/os-server-groups/${id}`)).status).toBe(204);
    }
  }, 60_000);
});
