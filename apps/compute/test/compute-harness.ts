import { type ComputeSettings, computeSettings } from '@overcast/compute/api';
import { type RunningComputeAgent, startComputeAgent } from '@overcast/compute/agent';
import { type FakeHypervisorDriver } from '@overcast/compute/drivers';
import { type ServiceName, type StartedService, startService, stopService } from '@overcast/overcast/runtime';
import { createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { commonSettings, type ConfigSources, createLogger, loadConfig } from '@overcast/shared/core';
import { type ApiClient, type ApiResponse, apiClient, createTempDir, eventually, SHARED_EMBEDDED_TEMPLATE, startTokenIssuer, type TestCaller } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';

export { type TestCaller } from '@overcast/shared/testing';

export interface TestCompute {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Anonymous; `.as(token)` for a caller. */
  api: ApiClient;
  settings: ComputeSettings;
  /** The bus the service is on, for agents the test starts. */
  transportUrl: string;
  bus: MessageBus;
  /** The service's database, for checks the API cannot make (allocations). */
  dataSource: DataSource;
  /** The image and network services the compute service calls, as a user reaches them. */
  imageApi: ApiClient;
  networkApi: ApiClient;
  /** A client acting with a fresh token for `caller`. */
  client(caller: TestCaller): Promise<ApiClient>;
  /** A token for `caller`, for the other services' clients. */
  token(caller: TestCaller): Promise<string>;
  /** An active raw image of `caller`'s project holding `size` bytes, uploaded as a user does; answers its id. */
  uploadImage(caller: TestCaller, properties?: Record<string, unknown>, size?: number): Promise<string>;
  /** A network of `caller`'s project with an IPv4 subnet of `cidr`, made as a user does; answers its id. */
  createNetwork(caller: TestCaller, name: string, cidr: string): Promise<string>;
  /** Starts a compute host with the fake hypervisor on the service's bus, and waits until the service has its first report. */
  startFakeHost(host: string, fake?: { vcpus?: number; memoryMb?: number; localGb?: number; spawnFailure?: string }): Promise<FakeHost>;
  /** Stops the service, its hosts and the other services, and removes their databases and files. */
  close(): Promise<void>;
}

/**
 * The compute API as `overcast serve compute` runs it, on a fresh embedded database, a private
 * bus and a free port, validating tokens from a test issuer. `env` adds settings, e.g.
 * `{ OVERCAST_COMPUTE_QUOTA_INSTANCES: '2' }`.
 */
export interface FakeHost {
  agent: RunningComputeAgent;
  driver: FakeHypervisorDriver;
}

export async function startTestCompute(env: Record<string, string> = {}): Promise<TestCompute> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  };
  try {
    const issuer = await startTokenIssuer();
    cleanups.push(() => issuer.close());
    const dataDir = await createTempDir('overcast-compute');
    cleanups.push(() => dataDir.remove());
    const baseEnv: Record<string, string> = {
      OVERCAST_DATA_DIR: dataDir.path,
      ...SHARED_EMBEDDED_TEMPLATE,
      OVERCAST_TRANSPORT_URL: `memory://compute-${randomUUID()}`,
      OVERCAST_IDENTITY_URL: issuer.url,
      OVERCAST_COMPUTE_PORT: '0',
      OVERCAST_IMAGE_PORT: '0',
      OVERCAST_NETWORK_PORT: '0',
      OVERCAST_COMPUTE_SERVICE_PASSWORD: 'test-service-password',
      OVERCAST_IMAGE_SERVICE_PASSWORD: 'test-service-password',
      OVERCAST_NETWORK_SERVICE_PASSWORD: 'test-service-password',
    };
    const baseSources: ConfigSources = { env: { ...baseEnv, ...env } };
    const common = loadConfig(commonSettings, '', baseSources);
    // Only unexpected errors are logged at this level; the test output shows them.
    const logger = createLogger({ level: 'error' });
    const start = async (name: ServiceName, serviceSources: ConfigSources): Promise<StartedService> => {
      const started = await startService(name, common, serviceSources, logger, true);
      cleanups.push(() => stopService(started));
      return started;
    };
    const [image, network] = await Promise.all([start('image', baseSources), start('network', baseSources)]);
    const sources: ConfigSources = { env: { ...baseEnv, OVERCAST_COMPUTE_IMAGE_URL: image.http.url, OVERCAST_COMPUTE_NETWORK_URL: network.http.url, ...env } };
    const settings = loadConfig(computeSettings, 'compute', sources);
    const compute = await start('compute', sources);
    const computeDatabase = compute.database;
    const bus = await createMessageBus(common.transportUrl);
    cleanups.push(() => bus.close());

    const api = apiClient(compute.http.url);
    const startFakeHost = async (host: string, fake: { vcpus?: number; memoryMb?: number; localGb?: number; spawnFailure?: string } = {}): Promise<FakeHost> => {
      const agent = await startComputeAgent({ ...common, host }, sources, logger, {
        driver: 'fake',
        // Reports often, so power-state sync shows within the test's patience.
        reportIntervalSeconds: 1,
        fake: { vcpus: fake.vcpus ?? 8, memoryMb: fake.memoryMb ?? 16384, localGb: fake.localGb ?? 200, spawnFailure: fake.spawnFailure, spawnSeconds: 0 },
      });
      cleanups.push(() => agent.close());
      const reported = async () => (await computeDatabase.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM compute_nodes WHERE host = $1', [host]))[0]?.n;
      if ((await eventually(reported, (count) => count === 1)) !== 1) {
        throw new Error(`the fake host ${host} did not report within 5 s`);
      }
      return { agent, driver: agent.agent.driver as FakeHypervisorDriver };
    };
    return {
      url: compute.http.url,
      api,
      settings,
      transportUrl: common.transportUrl,
      bus,
      dataSource: computeDatabase.dataSource,
      imageApi: apiClient(image.http.url),
      networkApi: apiClient(network.http.url),
      client: async (caller) => api.as(await issuer.sign(caller)),
      token: (caller) => issuer.sign(caller),
      uploadImage: async (caller, properties = {}, size = 512) => {
        const token = await issuer.sign(caller);
        const created = await apiClient(image.http.url, token).post('/v2/images', { name: `img-${randomUUID().slice(0, 8)}`, disk_format: 'raw', container_format: 'bare', ...properties });
        if (created.status !== 201) {
          throw new Error(`the image service refused the test image: ${JSON.stringify(created.body)}`);
        }
        const upload = await fetch(`${image.http.url}/v2/images/${created.body.id}/file`, {
          method: 'PUT',
          headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
          body: Buffer.alloc(size, 7),
        });
        if (upload.status !== 204) {
          throw new Error(`uploading the test image failed with ${upload.status}`);
        }
        return created.body.id as string;
      },
      createNetwork: async (caller, name, cidr) => {
        const api = apiClient(network.http.url, await issuer.sign(caller));
        const networkId = (await api.post('/v2.0/networks', { network: { name } })).body.network.id as string;
        const subnet = await api.post('/v2.0/subnets', { subnet: { network_id: networkId, cidr, ip_version: 4 } });
        if (subnet.status !== 201) {
          throw new Error(`the network service refused the test subnet: ${JSON.stringify(subnet.body)}`);
        }
        return networkId;
      },
      startFakeHost,
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** A refusal in Nova's error format: `{"<fault>": {"code": status, "message": …}}`. */
export function expectNovaError(response: ApiResponse, status: number, message?: string | RegExp): void {
  const faults: Record<number, string> = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit', 501: 'notImplemented' };
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { [faults[status] ?? 'computeFault']: { code: status, message: message === undefined ? expect.any(String) : typeof message === 'string' ? message : expect.stringMatching(message) } },
  });
}
