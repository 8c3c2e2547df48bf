import { type ApiClient } from '@overcast/shared/testing';
import { createDomain, createGroup, createProject, createUser, uniqueName } from './fixtures';
import { expectKeystoneError } from './keystone';
import { startTestIdentity, type TestIdentity } from './test-identity';

/** Keystone's `list_limit` (here 2), and the `limit`/`marker` paging of projects, domains, users and groups. */
describe('long lists on PostgreSQL', () => {
  let identity: TestIdentity;
  let admin: ApiClient;

  beforeAll(async () => {
    identity = await startTestIdentity({ OVERCAST_IDENTITY_LIST_LIMIT: '2' });
    admin = identity.api.as(await identity.adminToken());
  });
  afterAll(() => identity?.close());

  /** Follows `links.next` from `path` to the end; every page but the last says it was truncated. */
  const allPages = async (path: string, key: string) => {
    const pages: string[][] = [];
    let url: string | null = path;
    while (url) {
      const response = await admin.get(url);
      expect(response.status).toBe(200);
      const { links, truncated } = response.body;
      expect(truncated).toBe(links.next === null ? undefined : true);
      pages.push(response.body[key].map((item: { id: string }) => item.id));
      url = links.next;
    }
    return pages;
  };

  it('pages projects in id order at list_limit, or at the limit asked for, with links.next while more remain', async () => {
    const domain = await createDomain(admin);
    const projectIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      projectIds.push((await createProject(admin, { domain_id: domain.id })).id);
    }
    projectIds.sort();

    const first = await admin.get(`/v3/projects?domain_id=${domain.id}`);
    expect(first.body).toEqual({
      projects: [expect.objectContaining({ id: projectIds[0] }), expect.objectContaining({ id: projectIds[1] })],
      links: { self: `${identity.url}/v3/projects?domain_id=${domain.id}`, previous: null, next: `${identity.url}/v3/projects?domain_id=${domain.id}&marker=${projectIds[1]}` },
      truncated: true,
    });
    expect(await allPages(`/v3/projects?domain_id=${domain.id}`, 'projects')).toEqual([projectIds.slice(0, 2), projectIds.slice(2, 4), projectIds.slice(4)]);
    expect(await allPages(`/v3/projects?domain_id=${domain.id}&limit=3`, 'projects')).toEqual([projectIds.slice(0, 3), projectIds.slice(3)]);
    expect(await allPages(`/v3/projects?domain_id=${domain.id}&limit=10`, 'projects')).toEqual([projectIds]);
    expect(await allPages(`/v3/projects?domain_id=${domain.id}&limit=2&marker=${projectIds[3]}`, 'projects')).toEqual([projectIds.slice(4)]);

    expectKeystoneError(await admin.get('/v3/projects?marker=no-such-project'), 404, 'Marker no-such-project could not be found.');
    expectKeystoneError(await admin.get('/v3/projects?limit=many'), 400);
    expectKeystoneError(await admin.get('/v3/projects?limit=-1'), 400);
  });

  it('pages domains, users and groups the same way', async () => {
    const domain = await createDomain(admin);
    const userIds = [(await createUser(admin, { domain_id: domain.id })).id, (await createUser(admin, { domain_id: domain.id })).id, (await createUser(admin, { domain_id: domain.id })).id].sort();
    const groupIds = [(await createGroup(admin, { domain_id: domain.id })).id, (await createGroup(admin, { domain_id: domain.id })).id].sort();
    expect(await allPages(`/v3/users?domain_id=${domain.id}`, 'users')).toEqual([userIds.slice(0, 2), userIds.slice(2)]);
    expect(await allPages(`/v3/groups?domain_id=${domain.id}&limit=1`, 'groups')).toEqual([[groupIds[0]], [groupIds[1]]]);
    // Exactly a full page: nothing more to point at.
    expect(await allPages(`/v3/groups?domain_id=${domain.id}`, 'groups')).toEqual([groupIds]);
    const domainPages = await allPages('/v3/domains', 'domains');
    expect(domainPages.flat()).toContain(domain.id);
    expect(domainPages.flat()).toEqual([...domainPages.flat()].sort());
    expect(domainPages.every((page) => page.length <= 2)).toBe(true);
  });

  it('cuts other long lists at list_limit, saying so, without a next link', async () => {
    // Bootstrap made four roles: admin, member, reader and service.
    const roles = await admin.get('/v3/roles');
    expect(roles.body.roles).toHaveLength(2);
    expect(roles.body.truncated).toBe(true);
    expect(roles.body.links).toEqual({ self: `${identity.url}/v3/roles`, previous: null, next: null });

    // Bootstrap made two services: exactly the limit, so nothing was cut.
    const services = await admin.get('/v3/services');
    expect(services.body.services).toHaveLength(2);
    expect(services.body.truncated).toBeUndefined();

    expect((await admin.get('/v3/regions')).body.truncated).toBeUndefined();
    for (const id of [uniqueName('r1'), uniqueName('r2')]) {
      await admin.post('/v3/regions', { region: { id } });
    }
    const regions = await admin.get('/v3/regions');
    expect(regions.body.regions).toHaveLength(2);
    expect(regions.body.truncated).toBe(true);
  });
});
