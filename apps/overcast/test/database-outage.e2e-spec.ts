import { type StartedService, startService, stopService } from '@overcast/overcast/runtime';
import { commonSettings, type ConfigSources, createLogger, loadConfig } from '@overcast/shared/core';
import { apiClient, createTempDir, eventually, type PrivatePostgres, startPrivatePostgres, startTokenIssuer, type TempDir } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';

/**
 * A service on its own PostgreSQL server, which is stopped and started again as an operator's
 * restart would: while it is down the API answers 503 in its own error format (and its
 * `/healthcheck` says which dependency failed), and once it is back the API serves again by
 * itself, without a restart of the service.
 */
describe('a PostgreSQL restart under a running API (network, on a PostgreSQL server of its own)', () => {
  let postgres: PrivatePostgres;
  let issuer: Awaited<ReturnType<typeof startTokenIssuer>>;
  let dataDir: TempDir;
  let network: StartedService;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    await postgres.createDatabase('network');
    issuer = await startTokenIssuer();
    dataDir = await createTempDir('overcast-outage');
    const sources: ConfigSources = {
      env: {
        OVERCAST_DATA_DIR: dataDir.path,
        OVERCAST_TRANSPORT_URL: `memory://outage-${randomUUID()}`,
        OVERCAST_IDENTITY_URL: issuer.url,
        OVERCAST_NETWORK_PORT: '0',
        OVERCAST_NETWORK_DATABASE_URL: postgres.url('network'),
        OVERCAST_NETWORK_SERVICE_PASSWORD: 'test-service-password',
      },
    };
    network = await startService('network', loadConfig(commonSettings, '', sources), sources, createLogger({ level: 'fatal' }), true);
  }, 120_000);

  afterAll(async () => {
    if (network) {
      await stopService(network);
    }
    await issuer?.close();
    await postgres?.close();
    await dataDir?.remove();
  }, 60_000);

  it('answers 503 while the database is down and serves again once it is back', async () => {
    const token = await issuer.sign({ projectId: 'outage-project', roles: ['member'] });
    const api = apiClient(network.http.url, token);
    // Without the test client, which fails the test on any 5xx.
    const networks = async (method: 'GET' | 'POST', body?: unknown) => {
      const response = await fetch(`${network.http.url}/v2.0/networks`, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const health = async () => {
      const response = await fetch(`${network.http.url}/healthcheck`);
      return { status: response.status, body: await response.text() };
    };
    const created = await api.post('/v2.0/networks', { network: { name: 'before' } });
    expect(created.status).toBe(201);
    expect(await health()).toEqual({ status: 200, body: 'OK' });

    await postgres.stop();
    expect(await networks('GET')).toEqual({ status: 503, body: { NeutronError: { type: 'HTTPServiceUnavailable', message: expect.stringContaining('cannot be reached'), detail: '' } } });
    expect((await networks('POST', { network: { name: 'during' } })).status).toBe(503);
    expect(await health()).toEqual({ status: 503, body: 'FAILED: database' });

    await postgres.start();
    const back = await eventually(() => networks('GET'), (response) => response.status === 200, 30_000);
    expect(back.status).toBe(200);
    expect((back.body['networks'] as { name: string }[]).map((item) => item.name)).toEqual(['before']);
    expect((await api.post('/v2.0/networks', { network: { name: 'after' } })).status).toBe(201);
    expect(await health()).toEqual({ status: 200, body: 'OK' });
  }, 120_000);
});
