import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { commonSettings, createLogger, loadConfig } from '@overcast/shared/core';
import { type ApiClient, apiClient, createTempDir, createTestDatabase, type Json } from '@overcast/shared/testing';
import { bootstrapIdentity, identityKeyDir, type IdentitySettings, identitySettings, KeyRing, openIdentityDatabase, startIdentity } from '../src';

export interface TestIdentity {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Anonymous; `.as(token)` for a caller. */
  api: ApiClient;
  settings: IdentitySettings;
  keyDir: string;
  adminPassword: string;
  /** The bootstrap admin's token, scoped to the admin project. */
  adminToken(): Promise<string>;
  /** `POST /v3/auth/tokens`, which must answer 201. */
  issueToken(auth: object, query?: string): Promise<{ token: string; body: Json }>;
  /** A password token for `user` (`{id}` or `{name, domain}`), scoped as asked. */
  passwordToken(user: object, password: string, scope?: object): Promise<string>;
  /** Stops the service and drops its database and files. */
  close(): Promise<void>;
}

/** The catalog a test cloud is bootstrapped with; block storage names the project, as Cinder does. */
const TEST_CATALOG = [
  { type: 'identity', name: 'keystone', description: 'Identity', url: 'http://identity.test/v3' },
  { type: 'volumev3', name: 'cinderv3', description: 'Block Storage', url: 'http://block-storage.test/v3/$(project_id)s' },
];

export function passwordAuth(user: object, password: string, scope?: object): object {
  return { auth: { identity: { methods: ['password'], password: { user: { ...user, password } } }, ...(scope ? { scope } : {}) } };
}

/**
 * Identity as `overcast serve identity` runs it, on a fresh PostgreSQL database, a free port and
 * a private key directory: migrated and bootstrapped, with an admin password the test knows.
 * `env` adds settings, e.g. `{ OVERCAST_IDENTITY_LIST_LIMIT: '2' }`.
 */
export async function startTestIdentity(env: Record<string, string> = {}): Promise<TestIdentity> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  };
  try {
    const testDatabase = await createTestDatabase('overcast_identity');
    cleanups.push(() => testDatabase.drop());
    const dataDir = await createTempDir('overcast-identity');
    cleanups.push(() => dataDir.remove());

    const sources = {
      env: {
        OVERCAST_DATA_DIR: dataDir.path,
        // A bus of its own: revocations published here reach no other test's service.
        OVERCAST_TRANSPORT_URL: `memory://identity-${randomUUID()}`,
        OVERCAST_IDENTITY_DATABASE_URL: testDatabase.url,
        OVERCAST_IDENTITY_PORT: '0',
        OVERCAST_IDENTITY_KEY_DIR: join(dataDir.path, 'keys'),
        ...env,
      },
    };
    const common = loadConfig(commonSettings, '', sources);
    const settings = loadConfig(identitySettings, 'identity', sources);
    const keyDir = identityKeyDir(common, settings);
    await KeyRing.initialize(keyDir);

    const database = await openIdentityDatabase(common, settings);
    cleanups.push(() => database.close());
    await database.migrate();
    const adminPassword = randomBytes(12).toString('base64url');
    await bootstrapIdentity(database.dataSource, { adminPassword, region: common.region, serviceUsers: [], catalog: TEST_CATALOG });

    // Only unexpected errors are logged at this level; the test output shows them.
    const http = await startIdentity({ common, settings, database, logger: createLogger({ level: 'error' }) });
    cleanups.push(() => http.close());

    const api = apiClient(http.url);
    const issueToken = async (auth: object, query = '') => {
      const response = await api.post(`/v3/auth/tokens${query}`, auth);
      if (response.status !== 201) {
        throw new Error(`token issue answered ${response.status}: ${JSON.stringify(response.body)}`);
      }
      return { token: response.headers.get('x-subject-token') as string, body: response.body as Json };
    };
    const passwordToken = async (user: object, password: string, scope?: object) => (await issueToken(passwordAuth(user, password, scope))).token;
    let adminToken: Promise<string> | undefined;
    return {
      url: http.url,
      api,
      settings,
      keyDir,
      adminPassword,
      adminToken: () => (adminToken ??= passwordToken({ name: 'admin', domain: { id: 'default' } }, adminPassword, { project: { name: 'admin', domain: { id: 'default' } } })),
      issueToken,
      passwordToken,
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
