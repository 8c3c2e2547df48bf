import { type ApiClient } from '@overcast/shared/testing';
import { createDomain, createGroup, createProject, createRole, grant, projectMember, roleId, uniqueName } from './fixtures';
import { expectKeystoneError } from './keystone';
import { passwordAuth, startTestIdentity, type TestIdentity } from './test-identity';

/** Each change below must make identity itself refuse the tokens issued before it. */
describe('token revocation on PostgreSQL', () => {
  let identity: TestIdentity;
  let admin: ApiClient;

  beforeAll(async () => {
    identity = await startTestIdentity();
    admin = identity.api.as(await identity.adminToken());
  });
  afterAll(() => identity?.close());

  const validate = async (token: string) => identity.api.get('/v3/auth/tokens', { token: await identity.adminToken(), headers: { 'X-Subject-Token': token } });
  const expectValid = async (token: string) => {
    expect((await validate(token)).status).toBe(200);
    expect((await identity.api.get('/v3/auth/projects', { token })).status).toBe(200);
  };
  const expectRevoked = async (token: string) => {
    expectKeystoneError(await validate(token), 404);
    expectKeystoneError(await identity.api.get('/v3/auth/projects', { token }), 401);
    // Rescoping a revoked token is a 404 in Keystone (tempest's test_user_update_own_password).
    expectKeystoneError(await identity.api.post('/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: token } } } }), 404);
  };
  /** A member of a new project and their project-scoped token. */
  const memberWithToken = async (options: Parameters<typeof projectMember>[1] = {}) => {
    const member = await projectMember(admin, options);
    const token = await identity.passwordToken({ id: member.user.id }, member.password, { project: { id: member.project.id } });
    await expectValid(token);
    return { ...member, token };
  };

  it('revokes a disabled user’s tokens, and a deleted user’s', async () => {
    const disabled = await memberWithToken();
    const deleted = await memberWithToken();
    expect((await admin.patch(`/v3/users/${disabled.user.id}`, { user: { enabled: false } })).status).toBe(200);
    expect((await admin.delete(`/v3/users/${deleted.user.id}`)).status).toBe(204);
    await expectRevoked(disabled.token);
    await expectRevoked(deleted.token);
  });

  it('revokes the tokens of a user who changes their own password, and checks the original one', async () => {
    const { user, token, password } = await memberWithToken();
    const other = await memberWithToken();
    const self = identity.api.as(token);
    expectKeystoneError(await self.post(`/v3/users/${user.id}/password`, { user: { password: 'new-password', original_password: 'not-it' } }), 401);
    expectKeystoneError(await self.post(`/v3/users/${user.id}/password`, { user: { password: 'new-password' } }), 400);
    expectKeystoneError(await self.post(`/v3/users/${other.user.id}/password`, { user: { password: 'new-password', original_password: password } }), 403);
    await expectValid(token);

    expect((await self.post(`/v3/users/${user.id}/password`, { user: { password: 'new-password', original_password: password } })).status).toBe(204);
    await expectRevoked(token);
    await expectValid(other.token);
    expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, password)), 401);
    expect((await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, 'new-password'))).status).toBe(201);
  });

  it('revokes a user’s tokens when an admin sets their password', async () => {
    const { user, token } = await memberWithToken();
    expect((await admin.patch(`/v3/users/${user.id}`, { user: { password: 'reset-by-admin' } })).status).toBe(200);
    await expectRevoked(token);
  });

  it('revokes the tokens a removed grant stood behind, and only those', async () => {
    const { user, project, password, token } = await memberWithToken();
    const second = await createProject(admin);
    const member = await roleId(admin, 'member');
    await grant(admin, `projects/${second.id}`, `users/${user.id}`, member);
    const secondToken = await identity.passwordToken({ id: user.id }, password, { project: { id: second.id } });

    expect((await admin.delete(`/v3/projects/${project.id}/users/${user.id}/roles/${member}`)).status).toBe(204);
    await expectRevoked(token);
    await expectValid(secondToken);
    expectKeystoneError(await admin.delete(`/v3/projects/${project.id}/users/${user.id}/roles/${member}`), 404);
  });

  it('revokes tokens whose roles came from a group when the member leaves it, the grant goes or the group is deleted', async () => {
    const member = await roleId(admin, 'member');
    const scenarios = {
      leave: (groupId: string, userId: string) => admin.delete(`/v3/groups/${groupId}/users/${userId}`),
      ungrant: (groupId: string, _userId: string, projectId: string) => admin.delete(`/v3/projects/${projectId}/groups/${groupId}/roles/${member}`),
      deleteGroup: (groupId: string) => admin.delete(`/v3/groups/${groupId}`),
    };
    for (const [name, change] of Object.entries(scenarios)) {
      const { user, project, password } = await projectMember(admin, { role: await roleId(admin, 'reader') });
      const group = await createGroup(admin);
      expect((await admin.put(`/v3/groups/${group.id}/users/${user.id}`)).status).toBe(204);
      await grant(admin, `projects/${project.id}`, `groups/${group.id}`, member);
      const { body, token } = await identity.issueToken(passwordAuth({ id: user.id }, password, { project: { id: project.id } }));
      expect(body.token.roles.map((role: { name: string }) => role.name).sort()).toEqual(['member', 'reader']);

      expect({ name, status: (await change(group.id, user.id, project.id)).status }).toEqual({ name, status: 204 });
      await expectRevoked(token);
    }
  });

  it('revokes the tokens scoped to a disabled or deleted project', async () => {
    const disabled = await memberWithToken();
    const deleted = await memberWithToken();
    expect((await admin.patch(`/v3/projects/${disabled.project.id}`, { project: { enabled: false } })).status).toBe(200);
    expect((await admin.delete(`/v3/projects/${deleted.project.id}`)).status).toBe(204);
    await expectRevoked(disabled.token);
    await expectRevoked(deleted.token);
  });

  it('revokes the tokens of a disabled domain’s users and projects', async () => {
    const domain = await createDomain(admin);
    const inDomain = await memberWithToken({ domainId: domain.id });
    const outside = await memberWithToken();
    expect((await admin.patch(`/v3/domains/${domain.id}`, { domain: { enabled: false } })).status).toBe(200);
    await expectRevoked(inDomain.token);
    await expectValid(outside.token);
  });

  it('revokes the tokens that carried a deleted role, directly, through a group, or implied by another role', async () => {
    const role = await createRole(admin);
    const direct = await memberWithToken({ role: role.id });

    const viaGroup = await projectMember(admin);
    const group = await createGroup(admin);
    await admin.put(`/v3/groups/${group.id}/users/${viaGroup.user.id}`);
    await grant(admin, `projects/${viaGroup.project.id}`, `groups/${group.id}`, role.id);
    const viaGroupToken = await identity.passwordToken({ id: viaGroup.user.id }, viaGroup.password, { project: { id: viaGroup.project.id } });

    const prior = await createRole(admin);
    expect((await admin.put(`/v3/roles/${prior.id}/implies/${role.id}`)).status).toBe(201);
    const implied = await memberWithToken({ role: prior.id });
    expect((await validate(implied.token)).body.token.roles.map((r: { id: string }) => r.id).sort()).toEqual([prior.id, role.id].sort());

    const bystander = await memberWithToken();
    expect((await admin.delete(`/v3/roles/${role.id}`)).status).toBe(204);
    await expectRevoked(direct.token);
    await expectRevoked(viaGroupToken);
    await expectRevoked(implied.token);
    await expectValid(bystander.token);
    expectKeystoneError(await admin.get(`/v3/roles/${role.id}`), 404);
  });

  it('revokes the tokens made from a deleted application credential', async () => {
    const { user, token } = await memberWithToken();
    const owner = identity.api.as(token);
    const created = (await owner.post(`/v3/users/${user.id}/application_credentials`, { application_credential: { name: uniqueName('ac') } })).body.application_credential;
    const fromCredential = await identity.issueToken({ auth: { identity: { methods: ['application_credential'], application_credential: { id: created.id, secret: created.secret } } } });
    await expectValid(fromCredential.token);

    expect((await owner.delete(`/v3/users/${user.id}/application_credentials/${created.id}`)).status).toBe(204);
    await expectRevoked(fromCredential.token);
    await expectValid(token);
    expectKeystoneError(await identity.api.post('/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: created.id, secret: created.secret } } } }), 401);
  });

  it('lists the revocation events for the other services, newer than ?since', async () => {
    const { user, token } = await memberWithToken();
    const before = new Date(Date.now() - 1000).toISOString();
    await admin.patch(`/v3/users/${user.id}`, { user: { enabled: false } });
    await expectRevoked(token);
    const events = await admin.get(`/v3/OS-REVOKE/events?since=${encodeURIComponent(before)}`);
    expect(events.status).toBe(200);
    expect(events.body.events).toContainEqual({ user_id: user.id, issued_before: expect.any(String), revoked_at: expect.any(String) });
    expectKeystoneError(await admin.get('/v3/OS-REVOKE/events?since=yesterday'), 400);
  });
});
