import { generateKeyPair, SignJWT } from 'jose';
import { type ApiClient, jwtClaims, withForgedClaims } from '@overcast/shared/testing';
import { KeyRing } from '../src';
import { createDomain, createProject, createUser, grant, projectMember, roleId, uniqueName } from './fixtures';
import { expectKeystoneError } from './keystone';
import { passwordAuth, startTestIdentity, type TestIdentity } from './test-identity';

const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('identity tokens (POST/GET/HEAD/DELETE /v3/auth/tokens) on PostgreSQL', () => {
  let identity: TestIdentity;
  let admin: ApiClient;

  beforeAll(async () => {
    identity = await startTestIdentity();
    admin = identity.api.as(await identity.adminToken());
  });
  afterAll(() => identity?.close());

  const validate = (subject: string, token: string, query = '') => identity.api.get(`/v3/auth/tokens${query}`, { token, headers: { 'X-Subject-Token': subject } });

  describe('password authentication and scopes', () => {
    it('scopes to a project by id for a user named by id, with roles (implied ones too) and the catalog', async () => {
      const { user, project, password } = await projectMember(admin);
      const response = await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, password, { project: { id: project.id } }));

      expect(response.status).toBe(201);
      const subjectToken = response.headers.get('x-subject-token');
      expect(subjectToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const token = response.body.token;
      expect(token).toEqual({
        methods: ['password'],
        user: { id: user.id, name: user.name, domain: { id: 'default', name: 'Default' }, password_expires_at: null },
        audit_ids: [expect.stringMatching(/^[\w-]{22}$/)],
        expires_at: expect.stringMatching(KEYSTONE_TIME),
        issued_at: expect.stringMatching(KEYSTONE_TIME),
        project: { id: project.id, name: project.name, domain: { id: 'default', name: 'Default' } },
        is_domain: false,
        is_admin_project: false,
        roles: expect.arrayContaining([expect.objectContaining({ name: 'member' }), expect.objectContaining({ name: 'reader' })]),
        catalog: expect.any(Array),
      });
      expect(token.roles).toHaveLength(2);
      expect(Date.parse(token.expires_at) - Date.parse(token.issued_at)).toBe(identity.settings.tokenExpirationSeconds * 1000);
      const volume = token.catalog.find((service: { type: string }) => service.type === 'volumev3');
      expect(volume.endpoints.map((endpoint: { url: string }) => endpoint.url)).toEqual(Array(3).fill(`http://block-storage.test/v3/${project.id}`));
      expect(volume.endpoints.map((endpoint: { interface: string }) => endpoint.interface).sort()).toEqual(['admin', 'internal', 'public']);
    });

    it('finds the user by name in a domain given by name or id, and the project by name in a domain', async () => {
      const domain = await createDomain(admin);
      const { user, project, password } = await projectMember(admin, { domainId: domain.id });
      const byDomainName = await identity.issueToken(passwordAuth({ name: user.name, domain: { name: domain.name } }, password, { project: { name: project.name, domain: { id: domain.id } } }));
      const byDomainId = await identity.issueToken(passwordAuth({ name: user.name, domain: { id: domain.id } }, password, { project: { name: project.name, domain: { name: domain.name } } }));
      for (const { body } of [byDomainName, byDomainId]) {
        expect(body.token.user).toEqual({ id: user.id, name: user.name, domain: { id: domain.id, name: domain.name }, password_expires_at: null });
        expect(body.token.project).toEqual({ id: project.id, name: project.name, domain: { id: domain.id, name: domain.name } });
      }
    });

    it('scopes to a domain the user has a role on', async () => {
      const domain = await createDomain(admin);
      const password = 'domain-admin-password';
      const user = await createUser(admin, { domain_id: domain.id, password });
      await grant(admin, `domains/${domain.id}`, `users/${user.id}`, await roleId(admin, 'member'));
      const { body } = await identity.issueToken(passwordAuth({ id: user.id }, password, { domain: { name: domain.name } }));
      expect(body.token.domain).toEqual({ id: domain.id, name: domain.name });
      expect(body.token.project).toBeUndefined();
      expect(body.token.roles.map((role: { name: string }) => role.name).sort()).toEqual(['member', 'reader']);
      // Endpoints that name a project have no project to name.
      const volume = body.token.catalog.find((service: { type: string }) => service.type === 'volumev3');
      expect(volume.endpoints).toEqual([]);
    });

    it('scopes the admin to the system', async () => {
      const { body } = await identity.issueToken(passwordAuth({ name: 'admin', domain: { name: 'Default' } }, identity.adminPassword, { system: { all: true } }));
      expect(body.token.system).toEqual({ all: true });
      expect(body.token.project).toBeUndefined();
      expect(body.token.roles.map((role: { name: string }) => role.name).sort()).toEqual(['admin', 'member', 'reader']);
    });

    it('gives an unscoped token without roles or catalog when nothing is asked and there is no default project', async () => {
      const password = 'no-default-project';
      const user = await createUser(admin, { password });
      for (const auth of [passwordAuth({ id: user.id }, password), passwordAuth({ id: user.id }, password, 'unscoped' as never), passwordAuth({ id: user.id }, password, { unscoped: {} })]) {
        const { body } = await identity.issueToken(auth);
        expect(Object.keys(body.token).sort()).toEqual(['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
      }
    });

    it('scopes to the default project when no scope is asked, unless asked to stay unscoped', async () => {
      const { user, project, password } = await projectMember(admin);
      expect((await admin.patch(`/v3/users/${user.id}`, { user: { default_project_id: project.id } })).status).toBe(200);
      expect((await identity.issueToken(passwordAuth({ id: user.id }, password))).body.token.project.id).toBe(project.id);
      expect((await identity.issueToken(passwordAuth({ id: user.id }, password, 'unscoped' as never))).body.token.project).toBeUndefined();
    });

    it('leaves the catalog out with ?nocatalog, on issue and on validation', async () => {
      const { user, project, password } = await projectMember(admin);
      const { token, body } = await identity.issueToken(passwordAuth({ id: user.id }, password, { project: { id: project.id } }), '?nocatalog');
      expect(body.token.catalog).toBeUndefined();
      expect(body.token.project.id).toBe(project.id);
      expect((await validate(token, token, '?nocatalog')).body.token.catalog).toBeUndefined();
      expect((await validate(token, token)).body.token.catalog).toEqual(expect.any(Array));
    });
  });

  describe('token rescope and application credentials', () => {
    it('rescopes an unscoped token to a project, keeping its expiry and chaining its audit id', async () => {
      const { user, project, password } = await projectMember(admin);
      const unscoped = await identity.issueToken(passwordAuth({ id: user.id }, password));
      const rescoped = await identity.issueToken({ auth: { identity: { methods: ['token'], token: { id: unscoped.token } }, scope: { project: { id: project.id } } } });
      expect(rescoped.body.token.methods.sort()).toEqual(['password', 'token']);
      expect(rescoped.body.token.expires_at).toBe(unscoped.body.token.expires_at);
      expect(rescoped.body.token.user).toEqual(unscoped.body.token.user);
      expect(rescoped.body.token.audit_ids).toEqual([expect.any(String), unscoped.body.token.audit_ids[0]]);
      expect(rescoped.body.token.audit_ids[0]).not.toBe(unscoped.body.token.audit_ids[0]);
      expect(rescoped.body.token.project.id).toBe(project.id);
    });

    it('refuses to rescope to a project the user has no role on', async () => {
      const { user, password } = await projectMember(admin);
      const other = await createProject(admin);
      const { token } = await identity.issueToken(passwordAuth({ id: user.id }, password));
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: other.id } } } }), 401);
    });

    it('creates an application credential whose secret is shown once, and authenticates with it by id and by name', async () => {
      const { user, project, password } = await projectMember(admin);
      const userApi = identity.api.as(await identity.passwordToken({ id: user.id }, password, { project: { id: project.id } }));
      const name = uniqueName('appcred');
      const created = await userApi.post(`/v3/users/${user.id}/application_credentials`, { application_credential: { name, description: 'ci', roles: [{ name: 'reader' }] } });
      expect(created.status).toBe(201);
      const credential = created.body.application_credential;
      expect(credential).toEqual({
        id: expect.any(String),
        name,
        description: 'ci',
        user_id: user.id,
        project_id: project.id,
        expires_at: null,
        unrestricted: false,
        roles: [{ id: expect.any(String), name: 'reader', domain_id: null }],
        access_rules: [],
        secret: expect.any(String),
        links: { self: `${identity.url}/v3/users/${user.id}/application_credentials/${credential.id}` },
      });
      const shown = await userApi.get(`/v3/users/${user.id}/application_credentials/${credential.id}`);
      expect(shown.status).toBe(200);
      expect(shown.body.application_credential.secret).toBeUndefined();
      expect((await userApi.get(`/v3/users/${user.id}/application_credentials?name=${name}`)).body.application_credentials.map((c: { id: string }) => c.id)).toEqual([credential.id]);

      const byId = { id: credential.id, secret: credential.secret };
      const byNameAndUserId = { name, user: { id: user.id }, secret: credential.secret };
      const byNameAndUserName = { name, user: { name: user.name, domain: { name: 'Default' } }, secret: credential.secret };
      for (const applicationCredential of [byId, byNameAndUserId, byNameAndUserName]) {
        const { body } = await identity.issueToken({ auth: { identity: { methods: ['application_credential'], application_credential: applicationCredential } } });
        expect(body.token.methods).toEqual(['application_credential']);
        expect(body.token.project.id).toBe(project.id);
        expect(body.token.roles.map((role: { name: string }) => role.name)).toEqual(['reader']);
        expect(body.token.application_credential).toEqual({ id: credential.id, name, restricted: true });
      }
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: credential.id, secret: 'wrong' } } } }), 401);
    });

    it('refuses to delegate a role the creator does not hold', async () => {
      const { user, project, password } = await projectMember(admin, { role: await roleId(admin, 'reader') });
      const userApi = identity.api.as(await identity.passwordToken({ id: user.id }, password, { project: { id: project.id } }));
      expectKeystoneError(await userApi.post(`/v3/users/${user.id}/application_credentials`, { application_credential: { name: uniqueName('ac'), roles: [{ name: 'admin' }] } }), 403);
    });
  });

  describe('validation, check and revocation of a token', () => {
    it('validates with GET and HEAD, echoing X-Subject-Token, then 404s once the token is deleted', async () => {
      const { user, project, password } = await projectMember(admin);
      const { token, body } = await identity.issueToken(passwordAuth({ id: user.id }, password, { project: { id: project.id } }));
      const adminToken = await identity.adminToken();

      const validated = await validate(token, adminToken);
      expect(validated.status).toBe(200);
      expect(validated.headers.get('x-subject-token')).toBe(token);
      expect(validated.body).toEqual(body);
      const checked = await identity.api.head('/v3/auth/tokens', { token: adminToken, headers: { 'X-Subject-Token': token } });
      expect(checked.status).toBe(200);
      expect(checked.headers.get('x-subject-token')).toBe(token);
      // A user validates their own token.
      expect((await validate(token, token)).status).toBe(200);

      expect((await identity.api.delete('/v3/auth/tokens', { token: adminToken, headers: { 'X-Subject-Token': token } })).status).toBe(204);
      expectKeystoneError(await validate(token, adminToken), 404);
      expect((await identity.api.head('/v3/auth/tokens', { token: adminToken, headers: { 'X-Subject-Token': token } })).status).toBe(404);
      expectKeystoneError(await identity.api.get('/v3/auth/projects', { token }), 401);
    });

    it('404s for a missing X-Subject-Token, and forbids a member to look at another user’s token', async () => {
      const alice = await projectMember(admin);
      const bob = await projectMember(admin);
      const aliceToken = await identity.passwordToken({ id: alice.user.id }, alice.password, { project: { id: alice.project.id } });
      const bobToken = await identity.passwordToken({ id: bob.user.id }, bob.password, { project: { id: bob.project.id } });
      expectKeystoneError(await identity.api.get('/v3/auth/tokens', { token: await identity.adminToken() }), 404);
      expectKeystoneError(await validate(bobToken, aliceToken), 403);
      expectKeystoneError(await identity.api.delete('/v3/auth/tokens', { token: aliceToken, headers: { 'X-Subject-Token': bobToken } }), 403);
      expect((await validate(bobToken, bobToken)).status).toBe(200);
    });

    it('revoking a rescoped token leaves the token it came from usable', async () => {
      const { user, project, password } = await projectMember(admin);
      const unscoped = await identity.issueToken(passwordAuth({ id: user.id }, password));
      const rescope = { auth: { identity: { methods: ['token'], token: { id: unscoped.token } }, scope: { project: { id: project.id } } } };
      const first = await identity.issueToken(rescope);
      expect((await identity.api.delete('/v3/auth/tokens', { token: first.token, headers: { 'X-Subject-Token': first.token } })).status).toBe(204);
      expectKeystoneError(await validate(first.token, unscoped.token), 404);
      expect((await identity.issueToken(rescope)).body.token.project.id).toBe(project.id);
    });
  });

  describe('what a token lets its holder see: /v3/auth/*', () => {
    it('lists the projects, domains and system the user has roles on, and the catalog of a project token', async () => {
      const { user, project, password } = await projectMember(admin);
      const domain = await createDomain(admin);
      await grant(admin, `domains/${domain.id}`, `users/${user.id}`, await roleId(admin, 'reader'));
      const token = await identity.passwordToken({ id: user.id }, password, { project: { id: project.id } });
      const userApi = identity.api.as(token);

      const projects = await userApi.get('/v3/auth/projects');
      expect(projects.status).toBe(200);
      expect(projects.body).toEqual({
        projects: [expect.objectContaining({ id: project.id, name: project.name, domain_id: 'default', links: { self: `${identity.url}/v3/projects/${project.id}` } })],
        links: { self: `${identity.url}/v3/auth/projects`, previous: null, next: null },
      });
      expect((await userApi.get('/v3/auth/domains')).body.domains.map((d: { id: string }) => d.id)).toEqual([domain.id]);
      expect((await userApi.get('/v3/auth/system')).body.system).toEqual([]);
      expect((await admin.get('/v3/auth/system')).body).toEqual({ system: [{ all: true }], links: { self: `${identity.url}/v3/auth/system` } });

      const catalog = await userApi.get('/v3/auth/catalog');
      expect(catalog.status).toBe(200);
      expect(catalog.body.catalog.map((service: { type: string }) => service.type).sort()).toEqual(['identity', 'volumev3']);
      expect(catalog.body.catalog.find((service: { type: string }) => service.type === 'volumev3').endpoints[0].url).toBe(`http://block-storage.test/v3/${project.id}`);
    });

    it('gives a catalog only to a project-scoped token', async () => {
      const password = 'unscoped-user';
      const user = await createUser(admin, { password });
      const unscoped = await identity.passwordToken({ id: user.id }, password);
      const system = await identity.passwordToken({ name: 'admin', domain: { id: 'default' } }, identity.adminPassword, { system: { all: true } });
      expectKeystoneError(await identity.api.get('/v3/auth/catalog', { token: unscoped }), 403);
      expectKeystoneError(await identity.api.get('/v3/auth/catalog', { token: system }), 403);
    });
  });

  describe('refusals', () => {
    it.each([
      ['malformed JSON', '{"auth": '],
      ['no auth', '{}'],
      ['no identity', JSON.stringify({ auth: {} })],
      ['methods that are not a list', JSON.stringify({ auth: { identity: { methods: 'password' } } })],
      ['an unknown method', JSON.stringify({ auth: { identity: { methods: ['kerberos'] } } })],
      ['a password method without its password', JSON.stringify({ auth: { identity: { methods: ['password'] } } })],
      ['a password that is a number', JSON.stringify(passwordAuth({ id: 'x' }, 42 as never))],
      ['a user without id or name', JSON.stringify(passwordAuth({}, 'secret'))],
      ['an unknown scope', JSON.stringify(passwordAuth({ id: 'x' }, 'secret', { galaxy: {} }))],
      ['two scopes at once', JSON.stringify(passwordAuth({ id: 'x' }, 'secret', { project: { id: 'p' }, domain: { id: 'd' } }))],
      ['a project named without its domain', JSON.stringify(passwordAuth({ id: 'x' }, 'secret', { project: { name: 'p' } }))],
    ])('%s is a 400', async (_name, rawBody) => {
      expectKeystoneError(await identity.api.request('POST', '/v3/auth/tokens', { rawBody }), 400);
    });

    it('answers a wrong password, an unknown user and an unknown user id with the same 401', async () => {
      const { user } = await projectMember(admin);
      const wrong = expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, 'wrong')), 401, 'The request you have made requires authentication.');
      const unknownName = expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ name: 'nobody', domain: { id: 'default' } }, 'wrong')), 401);
      const unknownId = expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: 'f'.repeat(32) }, 'wrong')), 401);
      const unknownDomain = expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ name: user.name, domain: { name: 'Nowhere' } }, 'wrong')), 401);
      expect([unknownName, unknownId, unknownDomain]).toEqual([wrong, wrong, wrong]);
    });

    it('refuses a disabled user, a disabled project and a project in a disabled domain', async () => {
      const domain = await createDomain(admin);
      const { user, project, password } = await projectMember(admin, { domainId: domain.id });
      const auth = passwordAuth({ id: user.id }, password, { project: { id: project.id } });
      await identity.issueToken(auth);

      await admin.patch(`/v3/projects/${project.id}`, { project: { enabled: false } });
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', auth), 401);
      await admin.patch(`/v3/projects/${project.id}`, { project: { enabled: true } });
      await admin.patch(`/v3/users/${user.id}`, { user: { enabled: false } });
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', auth), 401);
      await admin.patch(`/v3/users/${user.id}`, { user: { enabled: true } });
      await admin.patch(`/v3/domains/${domain.id}`, { domain: { enabled: false } });
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', auth), 401);
      expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, password)), 401);
    });

    it('refuses a scope the user has no role on, an unknown project and a disabled domain scope', async () => {
      const { user, password } = await projectMember(admin);
      const stranger = await createProject(admin);
      const disabledDomain = await createDomain(admin, { enabled: false });
      for (const scope of [{ project: { id: stranger.id } }, { project: { id: 'f'.repeat(32) } }, { domain: { id: disabledDomain.id } }, { domain: { id: 'default' } }, { system: { all: true } }]) {
        expectKeystoneError(await identity.api.post('/v3/auth/tokens', passwordAuth({ id: user.id }, password, scope)), 401);
      }
    });

    it('rejects an expired token, a forged payload, a tampered signature and a token signed by an unknown key', async () => {
      const adminToken = await identity.adminToken();
      const now = Math.floor(Date.now() / 1000);
      const ring = await KeyRing.load(identity.keyDir);
      const expired = await ring.sign({ ...jwtClaims(adminToken), iat: now - 7200, exp: now - 3600 });
      const forged = withForgedClaims(adminToken, { sub: 'someone-else' });
      const [header, payload, signature] = adminToken.split('.') as [string, string, string];
      const flipped = signature[10] === 'A' ? 'B' : 'A';
      const tampered = `${header}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`;
      const { privateKey } = await generateKeyPair('ES256');
      const foreign = await new SignJWT(jwtClaims(adminToken)).setProtectedHeader({ alg: 'ES256', kid: 'not-ours' }).sign(privateKey);
      for (const token of [expired, forged, tampered, foreign, 'not-a-token']) {
        expectKeystoneError(await identity.api.get('/v3/projects', { token }), 401);
        expectKeystoneError(await validate(token, adminToken), 404);
        expectKeystoneError(await identity.api.post('/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: token } } } }), 404);
      }
      expectKeystoneError(await identity.api.get('/v3/projects'), 401);
    });

    it('keeps a member to their own project and user, and away from admin calls', async () => {
      const { user, project, password } = await projectMember(admin);
      const other = await projectMember(admin);
      const member = identity.api.as(await identity.passwordToken({ id: user.id }, password, { project: { id: project.id } }));

      expect((await member.get(`/v3/projects/${project.id}`)).status).toBe(200);
      expectKeystoneError(await member.get(`/v3/projects/${other.project.id}`), 403);
      expect((await member.get(`/v3/users/${user.id}`)).status).toBe(200);
      expectKeystoneError(await member.get(`/v3/users/${other.user.id}`), 403);
      expectKeystoneError(await member.get(`/v3/users/${other.user.id}/application_credentials`), 403);
      expect((await member.get(`/v3/users/${user.id}/projects`)).body.projects.map((p: { id: string }) => p.id)).toEqual([project.id]);

      expectKeystoneError(await member.get('/v3/users'), 403);
      expectKeystoneError(await member.get('/v3/projects'), 403);
      expectKeystoneError(await member.post('/v3/projects', { project: { name: uniqueName('mine') } }), 403);
      expectKeystoneError(await member.put(`/v3/projects/${project.id}/users/${user.id}/roles/${await roleId(admin, 'admin')}`), 403);
      expectKeystoneError(await member.get('/v3/role_assignments'), 403);
      expectKeystoneError(await member.delete(`/v3/users/${other.user.id}`), 403);
      expectKeystoneError(await member.get('/v3/OS-REVOKE/events'), 403);
    });
  });
});
