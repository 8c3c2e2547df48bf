import { type BackendReport, VOLUME_AGENT_PATTERNS, VOLUME_SERVER_TOPIC, type VolumeAgentReport } from '@overcast/block-storage/contracts';
import { type MessageBus, createMessageBus } from '@overcast/shared/bus';
import { commonSettings, createLogger, loadConfig } from '@overcast/shared/core';
import { type ApiClient, type ApiResponse, apiClient, createTempDir, eventually, SHARED_EMBEDDED_TEMPLATE, startTokenIssuer, type TestCaller } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { type BlockStorageSettings, blockStorageSettings, openBlockStorageDatabase, startBlockStorage } from '../src';

export { type TestCaller } from '@overcast/shared/testing';

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
  /** Sends a volume agent's report over the bus, as an agent does (at `version`, default 1.0), and waits until the service has recorded it. */
  report(report: VolumeAgentReport, version?: string): Promise<void>;
  /** The service's bus, for agents a test plays. */
  bus: MessageBus;
  /** Stops the service and removes its database and files. */
  close(): Promise<void>;
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
        ...SHARED_EMBEDDED_TEMPLATE,
        OVERCAST_HOST: 'controller-1',
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
      bus,
      report: async (report, version) => {
        const before = new Date();
        await bus.cast(VOLUME_SERVER_TOPIC, VOLUME_AGENT_PATTERNS.report, report, { version });
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

/** A thick backend of `totalGb`, so that each GiB placed is a GiB taken. */
export function thickBackend(name: string, totalGb: number): BackendReport {
  return {
    name,
    volumeBackendName: name,
    driver: 'fake',
    storageProtocol: 'fake',
    availabilityZone: 'nova',
    capabilities: { cloneImages: false, multiattach: false, extendInUse: false },
    capacity: { totalCapacityGb: totalGb, freeCapacityGb: totalGb, provisionedCapacityGb: 0, thinProvisioning: false, maxOverSubscriptionRatio: 1, reservedPercentage: 0 },
  };
}

/** A refusal in Cinder's error format: `{"<fault>": {"code": status, "message": …}}`. */
export function expectCinderError(response: ApiResponse, status: number, message?: string | RegExp): void {
  const faults: Record<number, string> = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit' };
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { [faults[status] ?? 'computeFault']: { code: status, message: message === undefined ? expect.any(String) : typeof message === 'string' ? message : expect.stringMatching(message) } },
  });
}
