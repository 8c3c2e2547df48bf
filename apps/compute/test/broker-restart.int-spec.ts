import { type ApiClient, eventually, type Json, type PrivateRabbitmq, startPrivateRabbitmq } from '@overcast/shared/testing';
import { type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };
const BOOTS = 20;

/**
 * The compute API, the network API and three fake hosts on a RabbitMQ node of the test's own,
 * which is restarted while 20 boots are under way (builds run two at a time, so most of them
 * straddle the restart): every boot must end ACTIVE, or ERROR with a fault, none stays in BUILD,
 * and once they are deleted no allocation or port is left.
 */
describe('compute: a RabbitMQ restart during 20 concurrent boots', () => {
  let rabbitmq: PrivateRabbitmq;
  let compute: TestCompute;
  let alice: ApiClient;
  let admin: ApiClient;
  let imageId: string;
  let networkId: string;
  const hosts: FakeHost[] = [];

  const serversOf = async () => (await admin.get('/v2.1/servers/detail?all_tenants=1&limit=1000')).body.servers as Json[];
  const settled = (servers: Json[]) => servers.every((server) => ['ACTIVE', 'ERROR'].includes(server.status) && server['OS-EXT-STS:task_state'] === null);

  beforeAll(async () => {
    rabbitmq = await startPrivateRabbitmq();
    compute = await startTestCompute({
      OVERCAST_TRANSPORT_URL: rabbitmq.url,
      OVERCAST_COMPUTE_MAX_CONCURRENT_BUILDS: '2',
      OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1',
      OVERCAST_COMPUTE_QUOTA_CORES: '-1',
      OVERCAST_COMPUTE_QUOTA_RAM: '-1',
    });
    alice = await compute.client(ALICE);
    admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    networkId = await compute.createNetwork(ALICE, 'boots', '10.20.0.0/24');
    for (const name of ['restart-1', 'restart-2', 'restart-3']) {
      hosts.push(await compute.startFakeHost(name));
    }
  }, 180_000);

  afterAll(async () => {
    await compute?.close();
    await rabbitmq?.close();
  }, 60_000);

  it('ends every boot ACTIVE or in ERROR with a fault, and leaks nothing', async () => {
    const created = await Promise.all(
      Array.from({ length: BOOTS }, (_, index) => alice.post('/v2.1/servers', { server: { name: `restart-${index}`, imageRef: imageId, flavorRef: 'tiny', networks: [{ uuid: networkId }] } })),
    );
    expect(created.map((response) => response.status)).toEqual(Array.from({ length: BOOTS }, () => 202));
    const building = (await serversOf()).filter((server) => server.status === 'BUILD').length;

    await rabbitmq.stop();
    await rabbitmq.start();

    const servers = await eventually(serversOf, settled, 120_000);
    const byStatus = (status: string) => servers.filter((server) => server.status === status);
    console.log(`${building} of ${BOOTS} boots were in BUILD when RabbitMQ stopped; they ended ${byStatus('ACTIVE').length} ACTIVE, ${byStatus('ERROR').length} ERROR`);
    expect(servers).toHaveLength(BOOTS);
    expect(settled(servers)).toBe(true);
    for (const server of byStatus('ERROR')) {
      expect(server.fault?.message).toEqual(expect.any(String));
    }
    // What the API calls ACTIVE runs on its host.
    const held = new Set((await Promise.all(hosts.map((host) => host.driver.listInstances()))).flat().map((instance) => instance.id));
    for (const server of byStatus('ACTIVE')) {
      expect(held.has(server.id)).toBe(true);
    }

    const network = compute.networkApi.as(await compute.token(ALICE));
    const serverPorts = async () => ((await network.get(`/v2.0/ports?network_id=${networkId}`)).body.ports as Json[]).filter((port) => String(port.device_owner).startsWith('compute:'));
    expect(await serverPorts()).toHaveLength(byStatus('ACTIVE').length);

    await Promise.all(servers.map((server) => alice.delete(`/v2.1/servers/${server.id}`)));
    expect(await eventually(serversOf, (left) => left.length === 0, 60_000)).toEqual([]);
    expect(await compute.dataSource.query('SELECT * FROM allocations')).toEqual([]);
    expect(await serverPorts()).toEqual([]);
    expect((await Promise.all(hosts.map((host) => host.driver.listInstances()))).flat()).toEqual([]);
  }, 300_000);
});
