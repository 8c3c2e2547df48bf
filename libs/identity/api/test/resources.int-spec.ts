import { type ApiClient, jwtClaims } from '@overcast/shared/testing';
import { createDomain, createGroup, createProject, createRole, createUser, grant, projectMember, roleId, uniqueName } from './fixtures';
import { expectKeystoneError } from './keystone';
import { passwordAuth, startTestIdentity, type TestIdentity } from './test-identity';

const ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const ids = (items: { id: string }[]) => items.map((item) => item.id);

describe('identity resources (CRUD and filters) on PostgreSQL', () => {
  let identity: TestIdentity;
  let admin: ApiClient;
  let v3: string;

  beforeAll(async () => {
    identity = await startTestIdentity();
    admin = identity.api.as(await identity.adminToken());
    v3 = `${identity.url}/v3`;
  });
  afterAll(() => identity?.close());

  it('domains: create, show, find, update, and delete only once disabled', async () => {
    const name = uniqueName('domain');
    const created = await admin.post('/v3/domains', { domain: { name, description: 'for tests' } });
    expect(created.status).toBe(201);
    const domain = created.body.domain;
    expect(domain).toEqual({ id: ID, name, description: 'for tests', enabled: true, tags: [], options: {}, links: { self: `${v3}/domains/${domain.id}` } });
    expect((await admin.get(`/v3/domains/${domain.id}`)).body).toEqual({ domain });
    expect((await admin.get(`/v3/domains?name=${name}`)).body).toEqual({ domains: [domain], links: { self: `${v3}/domains?name=${name}`, previous: null, next: null } });
    expect(ids((await admin.get('/v3/domains?enabled=false')).body.domains)).not.toContain(domain.id);

    expectKeystoneError(await admin.post('/v3/domains', { domain: { name } }), 409);
    expectKeystoneError(await admin.post('/v3/domains', { domain: { name: 'd'.repeat(65) } }), 400);
    expectKeystoneError(await admin.post('/v3/domains', { domain: { name: '' } }), 400);
    expectKeystoneError(await admin.post('/v3/domains', { domain: { name: uniqueName('d'), enabled: 'yes' } }), 400);
    expectKeystoneError(await admin.delete(`/v3/domains/${domain.id}`), 403);

    const updated = await admin.patch(`/v3/domains/${domain.id}`, { domain: { enabled: false, description: 'retired' } });
    expect(updated.status).toBe(200);
    expect(updated.body.domain).toEqual({ ...domain, enabled: false, description: 'retired' });
    expect(ids((await admin.get('/v3/domains?enabled=false')).body.domains)).toContain(domain.id);
    expect((await admin.delete(`/v3/domains/${domain.id}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/domains/${domain.id}`), 404, `Could not find domain: ${domain.id}.`);
    expectKeystoneError(await admin.delete(`/v3/domains/${domain.id}`), 404);
    expectKeystoneError(await admin.patch(`/v3/domains/${domain.id}`, { domain: { enabled: true } }), 404);
  });

  it('projects: a hierarchy with tags, found by parent, tags, enabled and name', async () => {
    const domain = await createDomain(admin);
    const parentName = uniqueName('parent');
    const created = await admin.post('/v3/projects', { project: { name: parentName, domain_id: domain.id, description: 'top', tags: ['a', 'b'] } });
    expect(created.status).toBe(201);
    const parent = created.body.project;
    expect(parent).toEqual({
      id: ID,
      name: parentName,
      domain_id: domain.id,
      description: 'top',
      enabled: true,
      parent_id: domain.id,
      is_domain: false,
      tags: ['a', 'b'],
      options: {},
      links: { self: `${v3}/projects/${parent.id}` },
    });
    const child = await createProject(admin, { domain_id: domain.id, parent_id: parent.id, tags: ['b', 'c'], enabled: false });
    expect(child).toMatchObject({ domain_id: domain.id, parent_id: parent.id, enabled: false });

    const find = async (query: string) => ids((await admin.get(`/v3/projects?domain_id=${domain.id}&${query}`)).body.projects).sort();
    expect(await find('')).toEqual([parent.id, child.id].sort());
    expect(await find(`parent_id=${parent.id}`)).toEqual([child.id]);
    expect(await find('tags=b')).toEqual([parent.id, child.id].sort());
    expect(await find('tags=a,b')).toEqual([parent.id]);
    expect(await find('tags=c')).toEqual([child.id]);
    expect(await find('tags-any=a,c')).toEqual([parent.id, child.id].sort());
    expect(await find('enabled=false')).toEqual([child.id]);
    expect(await find('enabled=true')).toEqual([parent.id]);
    expect(await find(`name=${child.name}`)).toEqual([child.id]);

    const renamed = uniqueName('renamed');
    const updated = await admin.patch(`/v3/projects/${child.id}`, { project: { name: renamed, tags: ['x'], enabled: true } });
    expect(updated.status).toBe(200);
    expect(updated.body.project).toEqual({ ...child, name: renamed, tags: ['x'], enabled: true });
    expect((await admin.get(`/v3/projects/${child.id}`)).body.project).toEqual(updated.body.project);

    expectKeystoneError(await admin.post('/v3/projects', { project: { name: parentName, domain_id: domain.id } }), 409);
    expect((await admin.post('/v3/projects', { project: { name: parentName } })).status).toBe(201);
    expectKeystoneError(await admin.post('/v3/projects', { project: { name: 'p'.repeat(65) } }), 400);
    expectKeystoneError(await admin.post('/v3/projects', { project: { name: uniqueName('p'), domain_id: 'no-such-domain' } }), 400);
    expectKeystoneError(await admin.post('/v3/projects', { project: { name: uniqueName('p'), parent_id: 'no-such-project' } }), 400);
    expectKeystoneError(await admin.post('/v3/projects', { project: { name: uniqueName('p'), domain_id: 'default', parent_id: parent.id } }), 400);
    expectKeystoneError(await admin.post('/v3/projects', { project: { name: uniqueName('p'), tags: ['a/b'] } }), 400);
    expectKeystoneError(await admin.patch(`/v3/projects/${child.id}`, { project: { enabled: 'no' } }), 400);

    expectKeystoneError(await admin.delete(`/v3/projects/${parent.id}`), 403);
    expect((await admin.delete(`/v3/projects/${child.id}`)).status).toBe(204);
    expect((await admin.delete(`/v3/projects/${parent.id}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/projects/${parent.id}`), 404, `Could not find project: ${parent.id}.`);
  });

  it('users: extra attributes shown flat, never a password; filters, update, their projects, delete', async () => {
    const domain = await createDomain(admin);
    const project = await createProject(admin, { domain_id: domain.id });
    const name = uniqueName('user');
    const created = await admin.post('/v3/users', { user: { name, domain_id: domain.id, password: 'secret-1', email: 'u@example.test', description: 'tester', default_project_id: project.id } });
    expect(created.status).toBe(201);
    const user = created.body.user;
    expect(user).toEqual({
      id: ID,
      name,
      domain_id: domain.id,
      enabled: true,
      email: 'u@example.test',
      description: 'tester',
      default_project_id: project.id,
      password_expires_at: null,
      options: {},
      links: { self: `${v3}/users/${user.id}` },
    });
    expect((await admin.get(`/v3/users/${user.id}`)).body.user).toEqual(user);
    expect(ids((await admin.get(`/v3/users?name=${name}`)).body.users)).toEqual([user.id]);
    expect(ids((await admin.get(`/v3/users?domain_id=${domain.id}`)).body.users)).toEqual([user.id]);
    expect((await admin.get(`/v3/users?domain_id=${domain.id}&enabled=false`)).body.users).toEqual([]);

    const updated = await admin.patch(`/v3/users/${user.id}`, { user: { email: 'new@example.test', enabled: false } });
    expect(updated.body.user).toEqual({ ...user, email: 'new@example.test', enabled: false });
    expect(ids((await admin.get(`/v3/users?domain_id=${domain.id}&enabled=false`)).body.users)).toEqual([user.id]);

    const group = await createGroup(admin, { domain_id: domain.id });
    const viaGroup = await createProject(admin, { domain_id: domain.id });
    await admin.put(`/v3/groups/${group.id}/users/${user.id}`);
    await grant(admin, `projects/${project.id}`, `users/${user.id}`, await roleId(admin, 'member'));
    await grant(admin, `projects/${viaGroup.id}`, `groups/${group.id}`, await roleId(admin, 'reader'));
    expect(ids((await admin.get(`/v3/users/${user.id}/projects`)).body.projects).sort()).toEqual([project.id, viaGroup.id].sort());
    expect(ids((await admin.get(`/v3/users/${user.id}/groups`)).body.groups)).toEqual([group.id]);

    expectKeystoneError(await admin.post('/v3/users', { user: { name, domain_id: domain.id } }), 409);
    expectKeystoneError(await admin.post('/v3/users', { user: { name: uniqueName('u'), domain_id: 'no-such-domain' } }), 404, 'Could not find domain: no-such-domain.');
    expectKeystoneError(await admin.post('/v3/users', { user: { domain_id: domain.id } }), 400);
    expectKeystoneError(await admin.post('/v3/users', { user: { name: uniqueName('u'), enabled: 'no' } }), 400);

    expect((await admin.delete(`/v3/users/${user.id}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/users/${user.id}`), 404);
    expect((await admin.get(`/v3/groups/${group.id}/users`)).body.users).toEqual([]);
    expect((await admin.get(`/v3/role_assignments?user.id=${user.id}`)).body.role_assignments).toEqual([]);
  });

  it('groups and their members', async () => {
    const name = uniqueName('group');
    const created = await admin.post('/v3/groups', { group: { name, description: 'ops' } });
    expect(created.status).toBe(201);
    const group = created.body.group;
    expect(group).toEqual({ id: ID, name, domain_id: 'default', description: 'ops', links: { self: `${v3}/groups/${group.id}` } });
    const user = await createUser(admin);
    const membership = `/v3/groups/${group.id}/users/${user.id}`;

    expect((await admin.head(membership)).status).toBe(404);
    expect((await admin.put(membership)).status).toBe(204);
    expect((await admin.put(membership)).status).toBe(204);
    expect((await admin.head(membership)).status).toBe(204);
    expect((await admin.get(membership)).status).toBe(204);
    expect(ids((await admin.get(`/v3/groups/${group.id}/users`)).body.users)).toEqual([user.id]);
    expect(ids((await admin.get(`/v3/users/${user.id}/groups`)).body.groups)).toEqual([group.id]);
    expectKeystoneError(await admin.put(`/v3/groups/${group.id}/users/no-such-user`), 404);
    expectKeystoneError(await admin.put(`/v3/groups/no-such-group/users/${user.id}`), 404);

    expect((await admin.delete(membership)).status).toBe(204);
    expect((await admin.head(membership)).status).toBe(404);
    expectKeystoneError(await admin.delete(membership), 404);
    expect((await admin.get(`/v3/groups/${group.id}/users`)).body.users).toEqual([]);

    expect(ids((await admin.get(`/v3/groups?name=${name}`)).body.groups)).toEqual([group.id]);
    const renamed = uniqueName('renamed');
    expect((await admin.patch(`/v3/groups/${group.id}`, { group: { name: renamed } })).body.group).toEqual({ ...group, name: renamed });
    expectKeystoneError(await admin.post('/v3/groups', { group: { name: renamed } }), 409);
    expectKeystoneError(await admin.post('/v3/groups', { group: { name: uniqueName('g'), domain_id: 'no-such-domain' } }), 404);
    expect((await admin.delete(`/v3/groups/${group.id}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/groups/${group.id}`), 404);
  });

  it('roles and the rules that imply one role from another', async () => {
    const name = uniqueName('role');
    const created = await admin.post('/v3/roles', { role: { name, description: 'prior' } });
    expect(created.status).toBe(201);
    const prior = created.body.role;
    expect(prior).toEqual({ id: ID, name, domain_id: null, description: 'prior', options: {}, links: { self: `${v3}/roles/${prior.id}` } });
    const implied = await createRole(admin);
    expect(ids((await admin.get(`/v3/roles?name=${name}`)).body.roles)).toEqual([prior.id]);

    const rule = `/v3/roles/${prior.id}/implies/${implied.id}`;
    const inference = { prior_role: { id: prior.id, name, links: { self: `${v3}/roles/${prior.id}` } }, implies: { id: implied.id, name: implied.name, links: { self: `${v3}/roles/${implied.id}` } } };
    expectKeystoneError(await admin.get(rule), 404);
    const put = await admin.put(rule);
    expect({ status: put.status, body: put.body }).toEqual({ status: 201, body: { role_inference: inference } });
    expect((await admin.get(rule)).body).toEqual({ role_inference: inference });
    expect((await admin.head(rule)).status).toBe(204);
    expect((await admin.get(`/v3/roles/${prior.id}/implies`)).body).toEqual({ role_inference: { prior_role: inference.prior_role, implies: [inference.implies] } });
    expect((await admin.get('/v3/role_inferences')).body.role_inferences).toContainEqual({ prior_role: inference.prior_role, implies: [inference.implies] });

    expect((await admin.delete(rule)).status).toBe(204);
    expectKeystoneError(await admin.get(rule), 404);
    expectKeystoneError(await admin.delete(rule), 404);
    expectKeystoneError(await admin.put(`/v3/roles/${prior.id}/implies/no-such-role`), 404);

    expectKeystoneError(await admin.post('/v3/roles', { role: { name } }), 409);
    const renamed = uniqueName('renamed');
    expect((await admin.patch(`/v3/roles/${prior.id}`, { role: { name: renamed } })).body.role).toEqual({ ...prior, name: renamed });
    expectKeystoneError(await admin.get('/v3/roles/no-such-role'), 404, 'Could not find role: no-such-role.');
  });

  it('grants on projects, domains and the system, checked and listed', async () => {
    const { user, project } = await projectMember(admin);
    const member = await roleId(admin, 'member');
    const reader = await roleId(admin, 'reader');
    const domain = await createDomain(admin);
    const group = await createGroup(admin);

    expect((await admin.head(`/v3/projects/${project.id}/users/${user.id}/roles/${member}`)).status).toBe(204);
    expect((await admin.get(`/v3/projects/${project.id}/users/${user.id}/roles/${member}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/projects/${project.id}/users/${user.id}/roles/${reader}`), 404);
    expect(ids((await admin.get(`/v3/projects/${project.id}/users/${user.id}/roles`)).body.roles)).toEqual([member]);

    await grant(admin, `domains/${domain.id}`, `groups/${group.id}`, reader);
    expect(ids((await admin.get(`/v3/domains/${domain.id}/groups/${group.id}/roles`)).body.roles)).toEqual([reader]);
    await grant(admin, 'system', `users/${user.id}`, reader);
    expect(ids((await admin.get(`/v3/system/users/${user.id}/roles`)).body.roles)).toEqual([reader]);
    expect((await admin.delete(`/v3/system/users/${user.id}/roles/${reader}`)).status).toBe(204);
    expect((await admin.get(`/v3/system/users/${user.id}/roles`)).body.roles).toEqual([]);

    expectKeystoneError(await admin.put(`/v3/projects/no-such-project/users/${user.id}/roles/${member}`), 404, 'Could not find project: no-such-project.');
    expectKeystoneError(await admin.put(`/v3/projects/${project.id}/users/no-such-user/roles/${member}`), 404, 'Could not find user: no-such-user.');
    expectKeystoneError(await admin.put(`/v3/projects/${project.id}/users/${user.id}/roles/no-such-role`), 404, 'Could not find role: no-such-role.');
    expectKeystoneError(await admin.put(`/v3/galaxies/x/users/${user.id}/roles/${member}`), 404);
  });

  it('role assignments filtered by user, group, project and role, effective, and with names', async () => {
    const member = await roleId(admin, 'member');
    const reader = await roleId(admin, 'reader');
    const { user: direct, project } = await projectMember(admin);
    const viaGroup = await createUser(admin);
    const group = await createGroup(admin);
    const custom = await createRole(admin);
    await admin.put(`/v3/groups/${group.id}/users/${viaGroup.id}`);
    await grant(admin, `projects/${project.id}`, `groups/${group.id}`, custom.id);

    const list = async (query: string) => {
      const response = await admin.get(`/v3/role_assignments?${query}`);
      expect(response.status).toBe(200);
      expect(response.body.links).toEqual({ self: `${v3}/role_assignments?${query}`, previous: null, next: null });
      return response.body.role_assignments;
    };
    const directRow = { role: { id: member }, user: { id: direct.id }, scope: { project: { id: project.id } }, links: { assignment: `${v3}/projects/${project.id}/users/${direct.id}/roles/${member}` } };
    const groupRow = { role: { id: custom.id }, group: { id: group.id }, scope: { project: { id: project.id } }, links: { assignment: `${v3}/projects/${project.id}/groups/${group.id}/roles/${custom.id}` } };

    expect(await list(`scope.project.id=${project.id}`)).toEqual(expect.arrayContaining([directRow, groupRow]));
    expect(await list(`scope.project.id=${project.id}`)).toHaveLength(2);
    expect(await list(`user.id=${direct.id}`)).toEqual([directRow]);
    expect(await list(`group.id=${group.id}`)).toEqual([groupRow]);
    expect(await list(`role.id=${custom.id}`)).toEqual([groupRow]);
    expect(await list(`role.id=${custom.id}&scope.project.id=${project.id}`)).toEqual([groupRow]);

    const effective = await list(`scope.project.id=${project.id}&effective`);
    expect(effective).toHaveLength(3);
    expect(effective).toEqual(
      expect.arrayContaining([
        directRow,
        expect.objectContaining({ role: { id: reader }, user: { id: direct.id }, scope: { project: { id: project.id } } }),
        {
          role: { id: custom.id },
          user: { id: viaGroup.id },
          scope: { project: { id: project.id } },
          links: { assignment: `${v3}/projects/${project.id}/groups/${group.id}/roles/${custom.id}`, membership: `${v3}/groups/${group.id}/users/${viaGroup.id}` },
        },
      ]),
    );
    expect(ids((await list(`user.id=${viaGroup.id}&effective`)).map((row: { role: { id: string } }) => row.role))).toEqual([custom.id]);

    const [named] = await list(`user.id=${direct.id}&include_names`);
    expect(named).toEqual({
      role: { id: member, name: 'member' },
      user: { id: direct.id, name: direct.name, domain: { id: 'default', name: 'Default' } },
      scope: { project: { id: project.id, name: project.name, domain: { id: 'default', name: 'Default' } } },
      links: directRow.links,
    });

    const adminId = jwtClaims(await identity.adminToken()).sub as string;
    expect(await list(`scope.system=all&user.id=${adminId}`)).toEqual([
      expect.objectContaining({ user: { id: adminId }, scope: { system: { all: true } }, links: { assignment: `${v3}/system/users/${adminId}/roles/${await roleId(admin, 'admin')}` } }),
    ]);

    for (const query of [`user.id=${direct.id}&group.id=${group.id}`, `effective&group.id=${group.id}`, `scope.project.id=${project.id}&scope.domain.id=default`, `scope.project.id=${project.id}&scope.system=all`]) {
      expectKeystoneError(await admin.get(`/v3/role_assignments?${query}`), 400);
    }
  });

  it('regions, services and endpoints, and the catalog new tokens carry', async () => {
    const parentId = uniqueName('RegionTwo');
    const childId = uniqueName('RegionTwo-a');
    const created = await admin.post('/v3/regions', { region: { id: parentId, description: 'second' } });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: { region: { id: parentId, description: 'second', parent_region_id: null, links: { self: `${v3}/regions/${parentId}` } } } });
    expect((await admin.put(`/v3/regions/${childId}`, { region: { parent_region_id: parentId } })).status).toBe(201);
    expect(ids((await admin.get(`/v3/regions?parent_region_id=${parentId}`)).body.regions)).toEqual([childId]);
    expectKeystoneError(await admin.post('/v3/regions', { region: { id: parentId } }), 409);
    expectKeystoneError(await admin.post('/v3/regions', { region: { parent_region_id: 'no-such-region' } }), 400);

    const service = await admin.post('/v3/services', { service: { type: 'object-store', name: 'swift', description: 'objects' } });
    expect(service.status).toBe(201);
    const serviceId = service.body.service.id;
    expect(service.body.service).toEqual({ id: ID, type: 'object-store', name: 'swift', description: 'objects', enabled: true, links: { self: `${v3}/services/${serviceId}` } });
    expect(ids((await admin.get('/v3/services?type=object-store')).body.services)).toEqual([serviceId]);

    const url = 'http://swift.test/v1/AUTH_$(project_id)s';
    const endpoint = await admin.post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url, region_id: childId } });
    expect(endpoint.status).toBe(201);
    const endpointId = endpoint.body.endpoint.id;
    expect(endpoint.body.endpoint).toEqual({ id: ID, interface: 'public', service_id: serviceId, url, region: childId, region_id: childId, enabled: true, links: { self: `${v3}/endpoints/${endpointId}` } });
    expect(ids((await admin.get(`/v3/endpoints?service_id=${serviceId}&interface=public`)).body.endpoints)).toEqual([endpointId]);
    expect((await admin.get(`/v3/endpoints?service_id=${serviceId}&interface=admin`)).body.endpoints).toEqual([]);
    expectKeystoneError(await admin.post('/v3/endpoints', { endpoint: { service_id: 'no-such-service', interface: 'public', url } }), 400);
    expectKeystoneError(await admin.post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'sideways', url } }), 400);
    expectKeystoneError(await admin.post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'not a url' } }), 400);

    const { user, project, password } = await projectMember(admin);
    const objectStore = async () => {
      const { body } = await identity.issueToken(passwordAuth({ id: user.id }, password, { project: { id: project.id } }));
      return body.token.catalog.find((entry: { type: string }) => entry.type === 'object-store');
    };
    expect((await objectStore()).endpoints).toEqual([{ id: endpointId, interface: 'public', region: childId, region_id: childId, url: `http://swift.test/v1/AUTH_${project.id}` }]);
    expect((await admin.patch(`/v3/endpoints/${endpointId}`, { endpoint: { enabled: false } })).body.endpoint.enabled).toBe(false);
    expect((await objectStore()).endpoints).toEqual([]);

    // A region goes with its children, but not while any of them has endpoints.
    expectKeystoneError(await admin.delete(`/v3/regions/${parentId}`), 403);
    expect((await admin.delete(`/v3/services/${serviceId}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/endpoints/${endpointId}`), 404);
    expect(await objectStore()).toBeUndefined();
    expect((await admin.delete(`/v3/regions/${parentId}`)).status).toBe(204);
    expectKeystoneError(await admin.get(`/v3/regions/${childId}`), 404);
  });

  it('application credentials: listed and deleted by their owner, refused with a bad expiry or without a project scope', async () => {
    const { user, project, password } = await projectMember(admin);
    const owner = identity.api.as(await identity.passwordToken({ id: user.id }, password, { project: { id: project.id } }));
    const path = `/v3/users/${user.id}/application_credentials`;
    const first = (await owner.post(path, { application_credential: { name: uniqueName('ac'), expires_at: '2999-01-01T00:00:00' } })).body.application_credential;
    expect(first.expires_at).toBe('2999-01-01T00:00:00.000000');
    // Keystone keeps the microseconds a client sends (tempest's test_create_application_credential_expires), in UTC.
    const precise = (await owner.post(path, { application_credential: { name: uniqueName('ac'), expires_at: '2999-01-01T02:30:00.123456+02:00' } })).body.application_credential;
    expect(precise.expires_at).toBe('2999-01-01T00:30:00.123456');
    expect((await owner.get(`${path}/${precise.id}`)).body.application_credential.expires_at).toBe('2999-01-01T00:30:00.123456');
    expect((await owner.delete(`${path}/${precise.id}`)).status).toBe(204);
    expect(first.roles.map((role: { name: string }) => role.name).sort()).toEqual(['member', 'reader']);
    expect(ids((await owner.get(path)).body.application_credentials)).toEqual([first.id]);
    expect(ids((await admin.get(path)).body.application_credentials)).toEqual([first.id]);

    expectKeystoneError(await owner.post(path, { application_credential: { name: first.name } }), 409);
    expectKeystoneError(await owner.post(path, { application_credential: { name: uniqueName('ac'), expires_at: '2001-01-01T00:00:00Z' } }), 400);
    expectKeystoneError(await owner.post(path, { application_credential: { name: uniqueName('ac'), expires_at: 'soon' } }), 400);
    const unscoped = identity.api.as(await identity.passwordToken({ id: user.id }, password, 'unscoped' as never));
    expectKeystoneError(await unscoped.post(path, { application_credential: { name: uniqueName('ac') } }), 400);

    expect((await owner.delete(`${path}/${first.id}`)).status).toBe(204);
    expectKeystoneError(await owner.get(`${path}/${first.id}`), 404);
    expectKeystoneError(await owner.delete(`${path}/${first.id}`), 404);
  });

  it('answers odd input with a 400, a 404 or an empty list, never a 500', async () => {
    expectKeystoneError(await admin.get('/v3/projects/%00'), 400);
    expectKeystoneError(await admin.post('/v3/users', { user: { name: 'a\u0000b' } }), 400);
    expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: 'a\u0000' }, 'x')), 400);
    expect((await admin.get('/v3/projects?tags=a&tags=b')).status).toBe(200);
    expect((await admin.get('/v3/users?name=a&name=b')).body.users).toEqual([]);
    expectKeystoneError(await admin.put(`/v3/regions/${'r'.repeat(256)}`, { region: {} }), 400);
    expectKeystoneError(await admin.post('/v3/roles', { role: { name: uniqueName('role'), domain_id: 'no-such-domain' } }), 404);
  });
});
