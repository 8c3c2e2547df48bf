import { VOLUME_AGENT_PATTERNS, VOLUME_SERVER_TOPIC, type VolumeAgentReport } from '@overcast/block-storage/contracts';
import { type TokenClaims } from '@overcast/shared/auth';
import { type MessageBus, createMessageBus } from '@overcast/shared/bus';
import { commonSettings, createLogger, loadConfig } from '@overcast/shared/core';
import { type ApiClient, type ApiResponse, apiClient, createTempDir, eventually } from '@overcast/shared/testing';
import { SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type DataSource } from 'typeorm';
import { type BlockStorageSettings, blockStorageSettings, openBlockStorageDatabase, startBlockStorage } from '../src';

/** Who a test token is for: a project and the roles there (`admin` implies `member` and `reader`, as identity expands them). */
export interface TestCaller {
  projectId: string;
  roles: ('admin' | 'member' | 'reader')[];
}

export interface TestBlockStorage {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Anonymous; `.as(token)` for a caller. */
  api: ApiClient;
  settings: BlockStorageSettings;
  /** The service's database, for fixtures the API cannot make (volumes on no backend, messages). */
  dataSource: DataSource;
  /** A client acting with a fresh token for `caller`. */
  client(caller: TestCaller): Promise<ApiClient>;
  /** Sends a volume agent's report over the bus, as an agent does, and waits until the service has recorded it. */
  report(report: VolumeAgentReport): Promise<void>;
  /** Stops the service and removes its database and files. */
  close(): Promise<void>;
}

const KEY_ID = 'test-key';
const IMPLIED: Record<TestCaller['roles'][number], string[]> = { admin: ['admin', 'member', 'reader'], member: ['member', 'reader'], reader: ['reader'] };

/**
 * The part of identity a service needs to verify tokens: its public keys, a token for the
 * service user, and an (empty) revocation list. Tokens are signed with the matching private key,
 * so every request goes through the service's real verification.
 */
async function startTokenIssuer(): Promise<{ url: string; sign(caller: TestCaller): Promise<string>; close(): Promise<void> }> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sign = (caller: TestCaller) => {
    const roles = [...new Set(caller.roles.flatMap((role) => IMPLIED[role]))].map((name) => ({ id: name, name }));
    const userId = randomUUID().replace(/-/g, '');
    const claims: Omit<TokenClaims, 'sub' | 'iat' | 'exp'> = {
      audit_ids: [randomUUID()],
      methods: ['password'],
      user: { id: userId, name: `user-${userId}`, domain: { id: 'default', name: 'Default' } },
      project: { id: caller.projectId, name: `project-${caller.projectId}`, domain: { id: 'default', name: 'Default' } },
      roles,
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: KEY_ID })
      .setSubject(userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 5)
      .setExpirationTime('1h')
      .sign(privateKey);
  };
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/.well-known/jwks.json') {
      answer(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KEY_ID, alg: 'ES256', use: 'sig' }] });
    } else if (request.method === 'POST' && request.url?.startsWith('/v3/auth/tokens')) {
      void sign({ projectId: 'service', roles: ['admin'] }).then((token) => answer(201, { token: {} }, { 'X-Subject-Token': token }));
    } else if (request.method === 'GET' && request.url === '/v3/OS-REVOKE/events') {
      answer(200, { events: [] });
    } else {
      answer(404, { error: { code: 404, message: 'not served by the test issuer' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, sign, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The block-storage API as `overcast serve block-storage` runs it, on a fresh embedded database,
 * a private bus and a free port, validating tokens from a test issuer. `env` adds settings, e.g.
 * `{ OVERCAST_BLOCK_STORAGE_QUOTA_VOLUMES: '2' }`.
 */
export async function startTestBlockStorage(env: Record<string, string> = {}): Promise<TestBlockStorage> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  };
  try {
    const issuer = await startTokenIssuer();
    cleanups.push(() => issuer.close());
    const dataDir = await createTempDir('overcast-block-storage');
    cleanups.push(() => dataDir.remove());
    const sources = {
      env: {
        OVERCAST_DATA_DIR: dataDir.path,
        OVERCAST_TRANSPORT_URL: `memory://block-storage-${randomUUID()}`,
        OVERCAST_IDENTITY_URL: issuer.url,
        OVERCAST_BLOCK_STORAGE_PORT: '0',
        OVERCAST_BLOCK_STORAGE_SERVICE_PASSWORD: 'test-service-password',
        ...env,
      },
    };
    const common = loadConfig(commonSettings, '', sources);
    const settings = loadConfig(blockStorageSettings, 'block-storage', sources);
    const database = await openBlockStorageDatabase(common, settings);
    cleanups.push(() => database.close());
    await database.migrate();
    // Only unexpected errors are logged at this level; the test output shows them.
    const http = await startBlockStorage({ common, settings, database, logger: createLogger({ level: 'error' }) });
    cleanups.push(() => http.close());
    const bus: MessageBus = await createMessageBus(common.transportUrl);
    cleanups.push(() => bus.close());

    const api = apiClient(http.url);
    return {
      url: http.url,
      api,
      settings,
      dataSource: database.dataSource,
      client: async (caller) => api.as(await issuer.sign(caller)),
      report: async (report) => {
        const before = new Date();
        await bus.cast(VOLUME_SERVER_TOPIC, VOLUME_AGENT_PATTERNS.report, report);
        const recorded = async () => (await database.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM backends WHERE host = $1 AND reported_at >= $2', [report.host, before]))[0]?.n;
        if ((await eventually(recorded, (count) => count === report.backends.length)) !== report.backends.length) {
          throw new Error(`the report of ${report.host} was not recorded within 5 s`);
        }
      },
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** A refusal in Cinder's error format: `{"<fault>": {"code": status, "message": …}}`. */
export function expectCinderError(response: ApiResponse, status: number, message?: string | RegExp): void {
  const faults: Record<number, string> = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit' };
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { [faults[status] ?? 'computeFault']: { code: status, message: message === undefined ? expect.any(String) : typeof message === 'string' ? message : expect.stringMatching(message) } },
  });
}
