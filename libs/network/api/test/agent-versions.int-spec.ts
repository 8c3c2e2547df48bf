import { type AgentReport, agentTopic, NETWORK_AGENT_PATTERNS, NETWORK_SERVER_TOPIC } from '@overcast/network/contracts';
import { type BusMessageMeta, createMessageBus } from '@overcast/shared/bus';
import { commonSettings, createLogger, loadConfig } from '@overcast/shared/core';
import { createTempDir, eventually, SHARED_EMBEDDED_TEMPLATE, startTokenIssuer, Teardown } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { networkSettings, openNetworkDatabase, startNetwork } from '../src';

/** An agent of an older release: the previous major, which the service's topic still takes. */
const OLDER_VERSION = '0.9';

// During a rolling upgrade the network service is new and some network agents are still older.
describe('a network agent older than the service (a rolling upgrade)', () => {
  const teardown = new Teardown();
  let dataSource: DataSource;
  let transportUrl: string;

  beforeAll(async () => {
    await teardown.guard(async () => {
      const issuer = await startTokenIssuer();
      teardown.push('token issuer', () => issuer.close());
      const dataDir = await createTempDir('overcast-network');
      teardown.push('data dir', () => dataDir.remove());
      const sources = {
        env: {
          OVERCAST_DATA_DIR: dataDir.path,
          ...SHARED_EMBEDDED_TEMPLATE,
          OVERCAST_TRANSPORT_URL: `memory://network-${randomUUID()}`,
          OVERCAST_IDENTITY_URL: issuer.url,
          OVERCAST_NETWORK_PORT: '0',
          OVERCAST_NETWORK_SERVICE_PASSWORD: 'test-service-password',
        },
      };
      const common = loadConfig(commonSettings, '', sources);
      const settings = loadConfig(networkSettings, 'network', sources);
      const database = await openNetworkDatabase(common, settings);
      teardown.push('database', () => database.close());
      await database.migrate();
      const http = await startNetwork({ common, settings, database, logger: createLogger({ level: 'error' }) });
      teardown.push('network service', () => http.close());
      dataSource = database.dataSource;
      transportUrl = common.transportUrl;
    });
  }, 60_000);
  afterAll(() => teardown.close());

  it('is recorded at the version it reports at, and told of changes at that version', async () => {
    const bus = await createMessageBus(transportUrl);
    teardown.push('bus', () => bus.close());
    // The older agent: it serves its host's topic at its own version (refusing anything newer, as the bus
    // does) and reports at its version; its first report makes the service tell every host to look again.
    const received: string[] = [];
    await bus.serve(agentTopic('old-host'), { [NETWORK_AGENT_PATTERNS.hostChanged]: (_change: unknown, meta: BusMessageMeta) => void received.push(meta.version) }, { version: OLDER_VERSION });
    const report: AgentReport = {
      host: 'old-host',
      agentType: 'Linux bridge agent',
      binary: 'neutron-linuxbridge-agent',
      driver: 'linuxbridge',
      networkTypes: ['flat', 'vxlan'],
      physicalNetworks: [],
      dhcp: true,
      l3: true,
    };
    await bus.cast(NETWORK_SERVER_TOPIC, NETWORK_AGENT_PATTERNS.report, report, { version: OLDER_VERSION });

    expect(await eventually(async () => received, (versions) => versions.length > 0)).toEqual([OLDER_VERSION]);
    expect(await dataSource.query("SELECT bus_version FROM agents WHERE host = 'old-host'")).toEqual([{ bus_version: OLDER_VERSION }]);
  });
});
