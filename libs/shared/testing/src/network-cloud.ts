import { passwordAuthRequest } from './auth-requests';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type AllInOne, clientEnvironment, type CloudUser, startAllInOne } from './overcast-process';

const run = promisify(execFile);

export type JsonObject = Record<string, unknown>;

export interface ApiAnswer {
  status: number;
  body: JsonObject;
}

/** An all-in-one with two tenants, alice (project demo) and bob (project other), members of their projects. */
export interface NetworkCloud {
  aio: AllInOne;
  admin: CloudUser;
  alice: CloudUser;
  bob: CloudUser;
  tokens: { admin: string; alice: string; bob: string };
  /** The openstack CLI as a user (admin by default): its output as text, or read as JSON. */
  cli(args: string[], user?: CloudUser): Promise<string>;
  cliJson<T = JsonObject>(args: string[], user?: CloudUser): Promise<T>;
  /** A call to the network API with a token; the body read as JSON. */
  api(method: string, path: string, token: string, body?: unknown): Promise<ApiAnswer>;
}

export async function startNetworkCloud(adminPassword: string, settings: Record<string, string> = {}): Promise<NetworkCloud> {
  const aio = await startAllInOne(adminPassword, settings);
  const admin: CloudUser = { name: 'admin', password: adminPassword, project: 'admin' };
  const alice: CloudUser = { name: 'alice', password: 'alice-secret', project: 'demo' };
  const bob: CloudUser = { name: 'bob', password: 'bob-secret', project: 'other' };
  const cli = async (args: string[], user: CloudUser = admin) => (await run('openstack', args, { env: clientEnvironment(aio, user) })).stdout;
  const tokenOf = async (user: CloudUser) => {
    const response = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest(user.name, user.password, user.project)) });
    return response.headers.get('x-subject-token') ?? '';
  };
  try {
    for (const user of [alice, bob]) {
      await cli(['project', 'create', user.project]);
      await cli(['user', 'create', '--project', user.project, '--password', user.password, user.name]);
      await cli(['role', 'add', '--project', user.project, '--user', user.name, 'member']);
    }
    const [adminToken, aliceToken, bobToken] = await Promise.all([tokenOf(admin), tokenOf(alice), tokenOf(bob)]);
    return {
      aio,
      admin,
      alice,
      bob,
      tokens: { admin: adminToken, alice: aliceToken, bob: bobToken },
      cli,
      cliJson: async <T = JsonObject>(args: string[], user: CloudUser = admin) => JSON.parse(await cli([...args, '-f', 'json'], user)) as T,
      api: async (method, path, token, body) => {
        const response = await fetch(`${aio.urls.network}${path}`, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await response.text();
        return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as JsonObject };
      },
    };
  } catch (error) {
    await aio.close();
    throw error;
  }
}

/** A refusal in Neutron's error format, with the expected status (and type, when given). */
export function expectNeutronError(answer: ApiAnswer, status: number, type?: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body['NeutronError']).toEqual({ type: type ?? expect.any(String), message: expect.any(String), detail: '' });
}
