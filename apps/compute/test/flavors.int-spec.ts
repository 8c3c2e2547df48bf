import { type ApiClient } from '@overcast/shared/testing';
import { expectNovaError, startTestCompute, type TestCompute } from './compute-harness';

describe('compute API: flavors', () => {
  let compute: TestCompute;
  let admin: ApiClient;
  let member: ApiClient;
  let otherMember: ApiClient;

  const tiny = { name: 'm1.tiny', ram: 128, vcpus: 1, disk: 1 };
  const create = (flavor: Record<string, unknown>) => admin.post('/v2.1/flavors', { flavor });

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_MAX_PAGE_SIZE: '3' });
    admin = await compute.client({ projectId: 'admin-project', roles: ['admin'] });
    member = await compute.client({ projectId: 'p1', roles: ['member'] });
    otherMember = await compute.client({ projectId: 'p2', roles: ['member'] });
  });

  afterAll(async () => {
    await compute.close();
  });

  it('creates a flavor (200) and shows it with Nova 2.1’s fields and links', async () => {
    const created = await create({ ...tiny, id: 'tiny-1' });
    expect(created.status).toBe(200);
    const expected = {
      id: 'tiny-1',
      name: 'm1.tiny',
      ram: 128,
      disk: 1,
      swap: '',
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'OS-FLV-DISABLED:disabled': false,
      vcpus: 1,
      'os-flavor-access:is_public': true,
      rxtx_factor: 1,
      links: [
        { rel: 'self', href: `${compute.url}/v2.1/flavors/tiny-1` },
        { rel: 'bookmark', href: `${compute.url}/flavors/tiny-1` },
      ],
    };
    expect(created.body).toEqual({ flavor: expected });
    // At 2.1 there is no description (2.55) and no extra_specs (2.61) in the view.
    expect((await member.get('/v2.1/flavors/tiny-1')).body).toEqual({ flavor: expected });
    expect((await member.get('/v2.1/flavors')).body.flavors).toContainEqual({ id: 'tiny-1', name: 'm1.tiny', links: expected.links });
    expect((await member.get('/v2.1/flavors/detail')).body.flavors).toContainEqual(expected);
  });

  it('takes every optional field, numbers as text, and makes an id when none (or "auto") is given', async () => {
    const full = await create({ name: 'full', ram: '256', vcpus: '2', disk: 0, 'OS-FLV-EXT-DATA:ephemeral': 5, swap: 512, rxtx_factor: '1.5', 'os-flavor-access:is_public': 'false', id: 42 });
    expect(full.body.flavor).toMatchObject({ id: '42', ram: 256, vcpus: 2, disk: 0, 'OS-FLV-EXT-DATA:ephemeral': 5, swap: 512, rxtx_factor: 1.5, 'os-flavor-access:is_public': false });
    const auto = await create({ name: 'auto-id', ram: 64, vcpus: 1, disk: 0, id: 'auto', swap: '' });
    expect(auto.body.flavor.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(auto.body.flavor.swap).toBe('');
    const none = await create({ name: 'no-id', ram: 64, vcpus: 1, disk: 0, id: null });
    expect(none.body.flavor.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await create({ name: '  padded-name-is-invalid', ram: 64, vcpus: 1, disk: 0 })).status).toBe(400);
  });

  it('refuses a taken name or id with 409', async () => {
    expectNovaError(await create({ ...tiny, id: 'other-id' }), 409, 'Flavor with name m1.tiny already exists.');
    expectNovaError(await create({ ...tiny, name: 'another', id: 'tiny-1' }), 409, 'Flavor with ID tiny-1 already exists.');
  });

  it.each([
    ['no flavor', {}],
    ['flavor not an object', { flavor: 'x' }],
    ['no name', { flavor: { ram: 1, vcpus: 1, disk: 1 } }],
    ['empty name', { flavor: { ...tiny, name: '' } }],
    ['name of 256 characters', { flavor: { ...tiny, name: 'n'.repeat(256) } }],
    ['name with a trailing space', { flavor: { ...tiny, name: 'x ' } }],
    ['name with a control character', { flavor: { ...tiny, name: 'a\u0007b' } }],
    ['no ram', { flavor: { name: 'x', vcpus: 1, disk: 1 } }],
    ['ram 0', { flavor: { ...tiny, name: 'x', ram: 0 } }],
    ['ram "0"', { flavor: { ...tiny, name: 'x', ram: '0' } }],
    ['ram -1', { flavor: { ...tiny, name: 'x', ram: -1 } }],
    ['ram 1.5', { flavor: { ...tiny, name: 'x', ram: 1.5 } }],
    ['ram "abc"', { flavor: { ...tiny, name: 'x', ram: 'abc' } }],
    ['ram true', { flavor: { ...tiny, name: 'x', ram: true } }],
    ['ram over MAX_INT', { flavor: { ...tiny, name: 'x', ram: 2 ** 31 } }],
    ['vcpus 0', { flavor: { ...tiny, name: 'x', vcpus: 0 } }],
    ['no vcpus', { flavor: { name: 'x', ram: 1, disk: 1 } }],
    ['disk -1', { flavor: { ...tiny, name: 'x', disk: -1 } }],
    ['no disk', { flavor: { name: 'x', ram: 1, vcpus: 1 } }],
    ['ephemeral -1', { flavor: { ...tiny, name: 'x', 'OS-FLV-EXT-DATA:ephemeral': -1 } }],
    ['swap -1', { flavor: { ...tiny, name: 'x', swap: -1 } }],
    ['swap "x"', { flavor: { ...tiny, name: 'x', swap: 'x' } }],
    ['rxtx_factor 0', { flavor: { ...tiny, name: 'x', rxtx_factor: 0 } }],
    ['rxtx_factor "-1"', { flavor: { ...tiny, name: 'x', rxtx_factor: '-1' } }],
    ['is_public "maybe"', { flavor: { ...tiny, name: 'x', 'os-flavor-access:is_public': 'maybe' } }],
    ['id with a slash', { flavor: { ...tiny, name: 'x', id: 'a/b' } }],
    ['id with a leading space', { flavor: { ...tiny, name: 'x', id: ' a' } }],
    ['empty id', { flavor: { ...tiny, name: 'x', id: '' } }],
    ['description at 2.1', { flavor: { ...tiny, name: 'x', description: 'd' } }],
    ['an unknown member', { flavor: { ...tiny, name: 'x', color: 'red' } }],
    ['an unknown top-level member', { flavor: { ...tiny, name: 'x' }, extra: 1 }],
  ])('refuses a create with %s (400)', async (_case, body) => {
    expectNovaError(await admin.post('/v2.1/flavors', body), 400);
  });

  it('names the field that is wrong', async () => {
    expectNovaError(await create({ ...tiny, name: 'x', ram: 0 }), 400, /ram.*less than the minimum of 1/);
    expectNovaError(await create({ ...tiny, name: 'x', color: 'red' }), 400, /'color'/);
    expectNovaError(await admin.post('/v2.1/flavors', undefined, { rawBody: '{"flavor": ' }), 400);
  });

  it('lets only admins manage flavors', async () => {
    expectNovaError(await member.post('/v2.1/flavors', { flavor: { ...tiny, name: 'mine' } }), 403, "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.");
    expectNovaError(await member.delete('/v2.1/flavors/tiny-1'), 403, "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.");
    expectNovaError(await member.post('/v2.1/flavors/tiny-1/os-extra-specs', { extra_specs: { a: 'b' } }), 403);
    expectNovaError(await member.put('/v2.1/flavors/tiny-1/os-extra-specs/a', { a: 'b' }), 403);
    expectNovaError(await member.delete('/v2.1/flavors/tiny-1/os-extra-specs/a'), 403);
    expectNovaError(await member.post('/v2.1/flavors/tiny-1/action', { addTenantAccess: { tenant: 'p1' } }), 403);
  });

  it('has no PUT before 2.55', async () => {
    expectNovaError(await admin.put('/v2.1/flavors/tiny-1', { flavor: { description: 'small' } }), 404);
  });

  it('answers 404 for an unknown flavor', async () => {
    expectNovaError(await member.get('/v2.1/flavors/nothing'), 404, 'Flavor nothing could not be found.');
    expectNovaError(await admin.delete('/v2.1/flavors/nothing'), 404, 'Flavor nothing could not be found.');
    expectNovaError(await member.get('/v2.1/flavors/nothing/os-extra-specs'), 404, 'Flavor nothing could not be found.');
  });

  describe('private flavors and their access lists', () => {
    beforeAll(async () => {
      expect((await create({ name: 'private', id: 'private-1', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false })).status).toBe(200);
    });

    it('hides a private flavor from projects without access (404) and shows it to admins', async () => {
      expectNovaError(await member.get('/v2.1/flavors/private-1'), 404, 'Flavor private-1 could not be found.');
      expect((await member.get('/v2.1/flavors')).body.flavors.map((flavor: { id: string }) => flavor.id)).not.toContain('private-1');
      expect((await admin.get('/v2.1/flavors/private-1')).status).toBe(200);
    });

    it('shares it with a project, which then sees and lists it; others still do not', async () => {
      expect((await admin.get('/v2.1/flavors/private-1/os-flavor-access')).body).toEqual({ flavor_access: [] });
      const added = await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: { tenant: 'p1' } });
      expect(added.status).toBe(200);
      expect(added.body).toEqual({ flavor_access: [{ flavor_id: 'private-1', tenant_id: 'p1' }] });
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: { tenant: 'p1' } }), 409, 'Flavor access already exists for flavor private-1 and project p1 combination.');

      expect((await member.get('/v2.1/flavors/private-1')).status).toBe(200);
      expect((await member.get('/v2.1/flavors')).body.flavors.map((flavor: { id: string }) => flavor.id)).toContain('private-1');
      expect((await member.get('/v2.1/flavors/private-1/os-extra-specs')).status).toBe(200);
      expectNovaError(await otherMember.get('/v2.1/flavors/private-1'), 404);
      expectNovaError(await otherMember.get('/v2.1/flavors/private-1/os-extra-specs'), 404);
      expectNovaError(await member.get('/v2.1/flavors/private-1/os-flavor-access'), 403, "Policy doesn't allow os_compute_api:os-flavor-access to be performed.");

      const removed = await admin.post('/v2.1/flavors/private-1/action', { removeTenantAccess: { tenant: 'p1' } });
      expect(removed.body).toEqual({ flavor_access: [] });
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { removeTenantAccess: { tenant: 'p1' } }), 404, 'Flavor access not found for private-1 / p1 combination.');
      expectNovaError(await member.get('/v2.1/flavors/private-1'), 404);
    });

    it('has no access list for a public flavor, and refuses bad actions', async () => {
      expectNovaError(await admin.get('/v2.1/flavors/tiny-1/os-flavor-access'), 404, 'Access list not available for public flavors.');
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: {} }), 400);
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: { tenant: '' } }), 400);
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: { tenant: 'p1', extra: 1 } }), 400);
      expectNovaError(await admin.post('/v2.1/flavors/private-1/action', { reboot: {} }), 400);
      expectNovaError(await admin.post('/v2.1/flavors/nothing/action', { addTenantAccess: { tenant: 'p1' } }), 404, 'Flavor nothing could not be found.');
    });

    it('filters by is_public for admins: true (default) also shows the ones shared with their project, false the private, none all', async () => {
      const ids = async (query: string) => {
        const all: string[] = [];
        let next: string | undefined = `/v2.1/flavors?limit=100${query}`;
        while (next !== undefined) {
          const page = await admin.get(next);
          expect(page.status).toBe(200);
          all.push(...page.body.flavors.map((flavor: { id: string }) => flavor.id));
          next = page.body.flavors_links?.[0]?.href.replace(compute.url, '');
        }
        return all;
      };
      expect(await ids('')).not.toContain('private-1');
      expect(await ids('&is_public=false')).toEqual(expect.arrayContaining(['private-1', '42']));
      expect(await ids('&is_public=false')).not.toContain('tiny-1');
      expect(await ids('&is_public=None')).toEqual(expect.arrayContaining(['private-1', 'tiny-1']));
      await admin.post('/v2.1/flavors/private-1/action', { addTenantAccess: { tenant: 'admin-project' } });
      expect(await ids('&is_public=true')).toContain('private-1');
      // Others cannot widen their view.
      expect((await member.get('/v2.1/flavors?is_public=none')).body.flavors.map((flavor: { id: string }) => flavor.id)).not.toContain('private-1');
      expectNovaError(await admin.get('/v2.1/flavors?is_public=maybe'), 400, 'Invalid is_public filter [maybe]');
    });
  });

  describe('extra specs', () => {
    it('creates, lists, shows, updates and deletes extra specs', async () => {
      const created = await admin.post('/v2.1/flavors/tiny-1/os-extra-specs', { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': 1000 } });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': '1000' } });
      expect((await member.get('/v2.1/flavors/tiny-1/os-extra-specs')).body).toEqual({ extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': '1000' } });
      expect((await member.get('/v2.1/flavors/tiny-1/os-extra-specs/hw:cpu_policy')).body).toEqual({ 'hw:cpu_policy': 'dedicated' });

      const updated = await admin.put('/v2.1/flavors/tiny-1/os-extra-specs/hw:cpu_policy', { 'hw:cpu_policy': 'shared' });
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ 'hw:cpu_policy': 'shared' });
      expect((await admin.post('/v2.1/flavors/tiny-1/os-extra-specs', { extra_specs: { more: 'yes' } })).status).toBe(200);
      expect((await member.get('/v2.1/flavors/tiny-1/os-extra-specs')).body.extra_specs).toEqual({ 'hw:cpu_policy': 'shared', 'quota:disk_read_bytes_sec': '1000', more: 'yes' });

      const deleted = await admin.delete('/v2.1/flavors/tiny-1/os-extra-specs/more');
      expect(deleted.status).toBe(200);
      expectNovaError(await admin.delete('/v2.1/flavors/tiny-1/os-extra-specs/more'), 404, 'Flavor tiny-1 has no extra specs with key more.');
      expectNovaError(await member.get('/v2.1/flavors/tiny-1/os-extra-specs/more'), 404, 'Flavor tiny-1 has no extra specs with key more.');
      // Not in the 2.1 view of the flavor (2.61).
      expect((await member.get('/v2.1/flavors/tiny-1')).body.flavor).not.toHaveProperty('extra_specs');
    });

    it.each([
      ['a body without extra_specs', { specs: {} }],
      ['extra_specs not an object', { extra_specs: 'x' }],
      ['a key with a slash', { extra_specs: { 'a/b': 'x' } }],
      ['an empty key', { extra_specs: { '': 'x' } }],
      ['a value of 256 characters', { extra_specs: { a: 'v'.repeat(256) } }],
      ['a value that is an object', { extra_specs: { a: { b: 1 } } }],
      ['a value that is null', { extra_specs: { a: null } }],
    ])('refuses an extra-specs create with %s (400)', async (_case, body) => {
      expectNovaError(await admin.post('/v2.1/flavors/tiny-1/os-extra-specs', body), 400);
    });

    it('refuses an update whose body is not exactly the key of the URL', async () => {
      expectNovaError(await admin.put('/v2.1/flavors/tiny-1/os-extra-specs/a', { b: 'x' }), 400, 'Request body and URI mismatch');
      expectNovaError(await admin.put('/v2.1/flavors/tiny-1/os-extra-specs/a', { a: 'x', b: 'y' }), 400);
      expectNovaError(await admin.put('/v2.1/flavors/tiny-1/os-extra-specs/a', {}), 400);
      expectNovaError(await admin.put('/v2.1/flavors/nothing/os-extra-specs/a', { a: 'x' }), 404, 'Flavor nothing could not be found.');
    });
  });

  describe('listing', () => {
    beforeAll(async () => {
      for (const [id, ram, disk] of [
        ['list-a', 1024, 10],
        ['list-b', 2048, 20],
        ['list-c', 4096, 40],
      ] as const) {
        expect((await create({ id, name: `list ${id}`, ram, vcpus: 1, disk })).status).toBe(200);
      }
    });

    it('filters by minRam and minDisk, refusing ones that are not integers', async () => {
      const ids = (await member.get('/v2.1/flavors/detail?minRam=2048&minDisk=30&limit=100')).body.flavors.map((flavor: { id: string }) => flavor.id);
      expect(ids).toEqual(['list-c']);
      expectNovaError(await member.get('/v2.1/flavors?minRam=big'), 400, 'Invalid minRam filter [big]');
      expectNovaError(await member.get('/v2.1/flavors?minDisk=1.5'), 400, 'Invalid minDisk filter [1.5]');
    });

    it('sorts by sort_key and sort_dir (default: flavor id, ascending), refusing unknown ones', async () => {
      const byRam = (await member.get('/v2.1/flavors/detail?minRam=1024&sort_key=memory_mb&sort_dir=desc')).body.flavors.map((flavor: { id: string }) => flavor.id);
      expect(byRam).toEqual(['list-c', 'list-b', 'list-a']);
      const byId = (await member.get('/v2.1/flavors?minRam=1024')).body.flavors.map((flavor: { id: string }) => flavor.id);
      expect(byId).toEqual(['list-a', 'list-b', 'list-c']);
      expectNovaError(await member.get('/v2.1/flavors?sort_key=color'), 400, /sort_key/);
      expectNovaError(await member.get('/v2.1/flavors?sort_dir=up'), 400, /sort_dir/);
    });

    it('pages with limit and marker, linking the next page when a page is full', async () => {
      const first = await member.get('/v2.1/flavors/detail?minRam=1024&sort_key=memory_mb&limit=2');
      expect(first.body.flavors.map((flavor: { id: string }) => flavor.id)).toEqual(['list-a', 'list-b']);
      // The query sorted, then the marker, as Nova writes it.
      expect(first.body.flavors_links).toEqual([{ rel: 'next', href: `${compute.url}/v2.1/flavors/detail?limit=2&minRam=1024&sort_key=memory_mb&marker=list-b` }]);
      const second = await member.get(first.body.flavors_links[0].href.replace(compute.url, ''));
      expect(second.body.flavors.map((flavor: { id: string }) => flavor.id)).toEqual(['list-c']);
      expect(second.body).not.toHaveProperty('flavors_links');
      // Without a limit a page holds the service's maximum (3 here), and a full one links on.
      const capped = await member.get('/v2.1/flavors');
      expect(capped.body.flavors).toHaveLength(3);
      expect(capped.body.flavors_links[0].href).toBe(`${compute.url}/v2.1/flavors?marker=${capped.body.flavors[2].id}`);
      expect((await member.get('/v2.1/flavors?limit=1000')).body.flavors).toHaveLength(3);
    });

    it('refuses an unknown (or invisible) marker and a bad limit with 400', async () => {
      expectNovaError(await member.get('/v2.1/flavors?marker=nothing'), 400, 'marker [nothing] not found');
      expectNovaError(await member.get('/v2.1/flavors?marker=private-1'), 400, 'marker [private-1] not found');
      expectNovaError(await member.get('/v2.1/flavors?limit=-1'), 400);
      expectNovaError(await member.get('/v2.1/flavors?limit=abc'), 400);
    });
  });

  it('deletes a flavor (202); it is gone, its access list with it', async () => {
    expect((await create({ name: 'doomed', id: 'doomed', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false })).status).toBe(200);
    await admin.post('/v2.1/flavors/doomed/action', { addTenantAccess: { tenant: 'p1' } });
    const deleted = await admin.delete('/v2.1/flavors/doomed');
    expect(deleted.status).toBe(202);
    expectNovaError(await admin.get('/v2.1/flavors/doomed'), 404);
    // The name and id are free again.
    expect((await create({ name: 'doomed', id: 'doomed', ram: 64, vcpus: 1, disk: 0 })).status).toBe(200);
    expect((await admin.get('/v2.1/flavors/doomed')).body.flavor['os-flavor-access:is_public']).toBe(true);
  });
});
