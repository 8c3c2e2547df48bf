import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AllInOne, eventually, startAllInOne } from '@overcast/shared/testing';
import { SignJWT } from 'jose';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'e2e-admin-password';

describe('all-in-one with the openstack CLI', () => {
  let dataDir: string;
  let aio: AllInOne;
  let identityUrl: string;
  let computeUrl: string;

  const cli = async (args: string[], env: Record<string, string> = {}) => {
    const { stdout } = await run('openstack', [...args, '-f', 'json'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dataDir, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml'), OS_CLOUD: 'overcast', ...env },
    });
    return JSON.parse(stdout) as Record<string, string>;
  };
  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const passwordAuth = (user: object, scope?: object) => JSON.stringify({ auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) } });
  const tokenFor = async (user: object, scope?: object) => {
    const response = await post(`${identityUrl}/v3/auth/tokens`, passwordAuth(user, scope));
    expect(response.status).toBe(201);
    return response.headers.get('x-subject-token') as string;
  };

  beforeAll(async () => {
    aio = await startAllInOne(ADMIN_PASSWORD);
    dataDir = aio.dataDir;
    identityUrl = aio.urls.identity;
    computeUrl = aio.urls.compute;
  }, 180_000);

  afterAll(() => aio?.close());

  it('writes clouds.yaml and admin-openrc readable by their owner only', async () => {
    const { stat } = await import('node:fs/promises');
    for (const file of ['clouds.yaml', 'admin-openrc']) {
      expect((await stat(join(dataDir, file))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(join(dataDir, 'admin-openrc'), 'utf8')).toContain(`OS_PASSWORD='${ADMIN_PASSWORD}'`);
  });

  it('runs the operator workflow: token, project, user, role, catalog, application credential', async () => {
    const token = await cli(['token', 'issue']);
    expect(token['id']).toMatch(/^ey/);
    const project = await cli(['project', 'create', 'demo']);
    expect(project['name']).toBe('demo');
    const user = await cli(['user', 'create', '--project', 'demo', '--password', 's3cret', 'alice']);
    expect(user['default_project_id']).toBe(project['id']);
    await run('openstack', ['role', 'add', '--project', 'demo', '--user', 'alice', 'member'], { env: { PATH: process.env['PATH'] ?? '', HOME: dataDir, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml'), OS_CLOUD: 'overcast' } });
    const assignments = (await cli(['role', 'assignment', 'list', '--user', 'alice', '--project', 'demo', '--names', '--effective'])) as unknown as { Role: string }[];
    expect(assignments.map((row) => row.Role).sort()).toEqual(['member@', 'reader@'].map((role) => role.replace('@', '')).sort());

    const catalog = (await cli(['catalog', 'list'])) as unknown as { Type: string }[];
    expect(catalog.map((entry) => entry.Type).sort()).toEqual(['block-storage', 'compute', 'identity', 'image', 'network', 'volumev3']);

    const credential = await cli(['application', 'credential', 'create', 'ci']);
    expect(credential['secret']).toBeTruthy();
    const appToken = await cli(['token', 'issue'], {
      OS_CLOUD: '',
      OS_CLIENT_CONFIG_FILE: '/dev/null',
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: `${identityUrl}/v3`,
      OS_APPLICATION_CREDENTIAL_ID: credential['id'] as string,
      OS_APPLICATION_CREDENTIAL_SECRET: credential['secret'] as string,
    });
    expect(appToken['project_id']).toBe(token['project_id']);
  });

  it('honours a revoked token in identity and in another service within a second', async () => {
    const token = await tokenFor({ name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } });
    expect((await fetch(`${computeUrl}/v2.1/extensions`, { headers: { 'X-Auth-Token': token } })).status).toBe(200);
    await run('openstack', ['token', 'revoke', token], { env: { PATH: process.env['PATH'] ?? '', HOME: dataDir, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml'), OS_CLOUD: 'overcast' } });
    const admin = await tokenFor({ name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } });
    expect((await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': token } })).status).toBe(404);
    const computeStatus = await eventually(
      async () => (await fetch(`${computeUrl}/v2.1/extensions`, { headers: { 'X-Auth-Token': token } })).status,
      (status) => status === 401,
      1000,
    );
    expect(computeStatus).toBe(401);
  });

  describe('bad input gets the right status and Keystone’s error body', () => {
    const expectKeystoneError = async (response: Response, code: number) => {
      expect(response.status).toBe(code);
      const body = (await response.json()) as { error: { code: number; title: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(typeof body.error.title).toBe('string');
      expect(typeof body.error.message).toBe('string');
      return body;
    };

    it.each([
      ['malformed JSON', '{"auth": '],
      ['a missing identity', JSON.stringify({ auth: {} })],
      ['methods of the wrong type', JSON.stringify({ auth: { identity: { methods: 'password' } } })],
      ['an unknown scope', JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 'y' } } }, scope: { galaxy: {} } } })],
    ])('%s is a 400', async (_name, body) => {
      await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, body), 400);
    });

    it('a wrong password and an unknown user look the same', async () => {
      const wrong = await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, passwordAuth({ name: 'admin', domain: { id: 'default' }, password: 'nope' })), 401);
      const unknown = await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, passwordAuth({ name: 'nobody', domain: { id: 'default' }, password: 'nope' })), 401);
      expect(unknown).toEqual(wrong);
    });

    it('refuses disabled users, projects and domains', async () => {
      const admin = await tokenFor({ name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } });
      const headers = { 'X-Auth-Token': admin };
      const domain = (await (await post(`${identityUrl}/v3/domains`, JSON.stringify({ domain: { name: 'd-off' } }), headers)).json()) as { domain: { id: string } };
      const project = (await (await post(`${identityUrl}/v3/projects`, JSON.stringify({ project: { name: 'p-off', domain_id: domain.domain.id } }), headers)).json()) as { project: { id: string } };
      const user = (await (await post(`${identityUrl}/v3/users`, JSON.stringify({ user: { name: 'u-off', domain_id: domain.domain.id, password: 'pw' } }), headers)).json()) as { user: { id: string } };
      const member = (await (await fetch(`${identityUrl}/v3/roles?name=member`, { headers })).json()) as { roles: { id: string }[] };
      await fetch(`${identityUrl}/v3/projects/${project.project.id}/users/${user.user.id}/roles/${member.roles[0]?.id}`, { method: 'PUT', headers });
      const scoped = passwordAuth({ id: user.user.id, password: 'pw' }, { project: { id: project.project.id } });
      expect((await post(`${identityUrl}/v3/auth/tokens`, scoped)).status).toBe(201);

      const patch = (path: string, body: object) => fetch(`${identityUrl}/v3/${path}`, { method: 'PATCH', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await patch(`projects/${project.project.id}`, { project: { enabled: false } });
      await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, scoped), 401);
      await patch(`projects/${project.project.id}`, { project: { enabled: true } });
      await patch(`users/${user.user.id}`, { user: { enabled: false } });
      await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, scoped), 401);
      await patch(`users/${user.user.id}`, { user: { enabled: true } });
      await patch(`domains/${domain.domain.id}`, { domain: { enabled: false } });
      await expectKeystoneError(await post(`${identityUrl}/v3/auth/tokens`, scoped), 401);
    });

    it('rejects expired and tampered tokens', async () => {
      const keyDir = join(dataDir, 'identity', 'keys');
      const primary = (await readdir(keyDir)).filter((name) => /^\d+\.pem$/.test(name)).sort((a, b) => parseInt(b) - parseInt(a))[0] as string;
      const key = createPrivateKey(await readFile(join(keyDir, primary), 'utf8'));
      const jwks = (await (await fetch(`${identityUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      const admin = await tokenFor({ name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } });
      const [header, payload] = admin.split('.');
      const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
      const kid = (JSON.parse(Buffer.from(header as string, 'base64url').toString()) as { kid: string }).kid;
      expect(jwks.keys.map((entry) => entry.kid)).toContain(kid);
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid }).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(key);
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: [{ id: 'x', name: 'admin' }], sub: 'someone-else' })).toString('base64url')}.${admin.split('.')[2]}`;
      for (const token of [expired, tampered]) {
        await expectKeystoneError(await fetch(`${identityUrl}/v3/projects`, { headers: { 'X-Auth-Token': token } }), 401);
        expect((await fetch(`${computeUrl}/v2.1/extensions`, { headers: { 'X-Auth-Token': token } })).status).toBe(401);
      }
    });

    it('keeps a member to their own project and away from admin calls', async () => {
      const alice = await tokenFor({ name: 'alice', domain: { id: 'default' }, password: 's3cret' }, { project: { name: 'demo', domain: { id: 'default' } } });
      const admin = await tokenFor({ name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } });
      const adminProject = JSON.parse(Buffer.from(admin.split('.')[1] as string, 'base64url').toString()) as { project: { id: string } };
      const ownProject = JSON.parse(Buffer.from(alice.split('.')[1] as string, 'base64url').toString()) as { project: { id: string } };
      expect((await fetch(`${identityUrl}/v3/projects/${ownProject.project.id}`, { headers: { 'X-Auth-Token': alice } })).status).toBe(200);
      await expectKeystoneError(await fetch(`${identityUrl}/v3/projects/${adminProject.project.id}`, { headers: { 'X-Auth-Token': alice } }), 403);
      await expectKeystoneError(await post(`${identityUrl}/v3/projects`, JSON.stringify({ project: { name: 'mine' } }), { 'X-Auth-Token': alice }), 403);
      await expectKeystoneError(await fetch(`${identityUrl}/v3/users`, { headers: { 'X-Auth-Token': alice } }), 403);
    });
  });
});
