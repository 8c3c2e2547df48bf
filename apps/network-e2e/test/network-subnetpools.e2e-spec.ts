import { expectNeutronError, type JsonObject, type NetworkCloud, startNetworkCloud } from '@overcast/shared/testing';

const ADMIN_PASSWORD = 'subnetpools-e2e-admin';

describe('subnet pools (Neutron subnet_allocation) with the openstack CLI', () => {
  let cloud: NetworkCloud;
  let aliceToken: string;
  let bobToken: string;
  const cli = (args: string[], user?: NetworkCloud['admin']) => cloud.cli(args, user);
  const cliJson = <T = JsonObject>(args: string[], user?: NetworkCloud['admin']) => cloud.cliJson<T>(args, user);
  const api = (method: string, path: string, token: string, body?: unknown) => cloud.api(method, path, token, body);
  const createNetwork = async (name: string, token = aliceToken) => (await api('POST', '/v2.0/networks', token, { network: { name } })).body['network'] as JsonObject;
  const createPool = async (pool: JsonObject, token = aliceToken) => (await api('POST', '/v2.0/subnetpools', token, { subnetpool: pool })).body['subnetpool'] as JsonObject;
  const subnetFrom = (networkId: unknown, subnetpoolId: unknown, extra: JsonObject = {}, token = aliceToken) =>
    api('POST', '/v2.0/subnets', token, { subnet: { network_id: networkId, subnetpool_id: subnetpoolId, ip_version: 4, ...extra } });

  beforeAll(async () => {
    cloud = await startNetworkCloud(ADMIN_PASSWORD);
    ({ alice: aliceToken, bob: bobToken } = cloud.tokens);
  }, 180_000);

  afterAll(() => cloud?.aio.close());

  it('creates a pool and carves subnets from it: consecutive prefixes, a given length, until none is left', async () => {
    const pool = await cliJson(['subnet', 'pool', 'create', '--pool-prefix', '10.10.0.0/16', '--default-prefix-length', '24', 'pool1'], cloud.alice);
    expect(pool).toMatchObject({ name: 'pool1', prefixes: ['10.10.0.0/16'], default_prefixlen: 24, min_prefixlen: 8, max_prefixlen: 32, ip_version: 4, shared: false, is_default: false });
    await cli(['network', 'create', 'n'], cloud.alice);

    const s1 = await cliJson(['subnet', 'create', '--network', 'n', '--subnet-pool', 'pool1', 's1'], cloud.alice);
    expect(s1).toMatchObject({ cidr: '10.10.0.0/24', gateway_ip: '10.10.0.1', subnetpool_id: pool['id'], allocation_pools: [{ start: '10.10.0.2', end: '10.10.0.254' }] });
    expect(await cliJson(['subnet', 'create', '--network', 'n', '--subnet-pool', 'pool1', 's2'], cloud.alice)).toMatchObject({ cidr: '10.10.1.0/24' });
    expect(await cliJson(['subnet', 'create', '--network', 'n', '--subnet-pool', 'pool1', '--prefix-length', '26', 's3'], cloud.alice)).toMatchObject({ cidr: '10.10.2.0/26' });
    expect((await cliJson<JsonObject[]>(['subnet', 'list', '--subnet-pool', 'pool1'], cloud.alice)).map((subnet) => subnet['Name']).sort()).toEqual(['s1', 's2', 's3']);

    // An explicit CIDR must be free and inside the pool; lengths must be within the pool's bounds.
    const network = await cliJson(['network', 'show', 'n'], cloud.alice);
    expect((await subnetFrom(network['id'], pool['id'], { cidr: '10.10.3.0/24' })).status).toBe(201);
    expectNeutronError(await subnetFrom(network['id'], pool['id'], { cidr: '10.10.0.128/25' }), 409, 'SubnetAllocationError');
    expectNeutronError(await subnetFrom(network['id'], pool['id'], { cidr: '10.11.0.0/24' }), 409, 'SubnetAllocationError');
    expectNeutronError(await subnetFrom(network['id'], pool['id'], { prefixlen: 33 }), 400, 'MaxPrefixSubnetAllocationError');
    expectNeutronError(await subnetFrom(network['id'], pool['id'], { prefixlen: 7 }), 400, 'MinPrefixSubnetAllocationError');
    expectNeutronError(await subnetFrom(network['id'], pool['id'], { ip_version: 6 }), 400, 'BadRequest');

    // A pool with subnets stays; updates may only widen its prefixes.
    expectNeutronError(await api('DELETE', `/v2.0/subnetpools/${String(pool['id'])}`, aliceToken), 400, 'SubnetPoolDeleteError');
    expectNeutronError(await api('PUT', `/v2.0/subnetpools/${String(pool['id'])}`, aliceToken, { subnetpool: { prefixes: ['10.10.0.0/17'] } }), 400, 'IllegalSubnetPoolPrefixUpdate');
    await cli(['subnet', 'pool', 'set', '--pool-prefix', '10.20.0.0/16', '--name', 'pool1-wide', 'pool1'], cloud.alice);
    expect(await cliJson(['subnet', 'pool', 'show', 'pool1-wide'], cloud.alice)).toMatchObject({ prefixes: ['10.10.0.0/16', '10.20.0.0/16'], revision_number: 1 });

    // A /23 pool holds two /24s; the third finds no room.
    const small = await createPool({ name: 'small', prefixes: ['192.168.0.0/23'], default_prefixlen: 24 });
    const other = await createNetwork('small-net');
    expect((await subnetFrom(other['id'], small['id'])).body['subnet']).toMatchObject({ cidr: '192.168.0.0/24' });
    expect((await subnetFrom(other['id'], small['id'])).body['subnet']).toMatchObject({ cidr: '192.168.1.0/24' });
    const full = await subnetFrom(other['id'], small['id']);
    expectNeutronError(full, 409, 'SubnetAllocationError');
    expect((full.body['NeutronError'] as JsonObject)['message']).toBe('Failed to allocate subnet: Insufficient prefix space to allocate subnet size /24.');

    // With its subnets gone, the pool goes.
    await cli(['network', 'delete', 'n'], cloud.alice);
    await cli(['subnet', 'pool', 'delete', 'pool1-wide'], cloud.alice);
    expectNeutronError(await api('GET', `/v2.0/subnetpools/${String(pool['id'])}`, aliceToken), 404, 'SubnetPoolNotFound');
  }, 120_000);

  it('validates pools with Neutron’s errors', async () => {
    const refused = (pool: JsonObject) => api('POST', '/v2.0/subnetpools', aliceToken, { subnetpool: pool });
    expectNeutronError(await refused({ prefixes: [] }), 400, 'EmptySubnetPoolPrefixList');
    expectNeutronError(await refused({ prefixes: ['10.0.0.0/8', '2001:db8::/32'] }), 400, 'PrefixVersionMismatch');
    expectNeutronError(await refused({ prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 }), 400, 'IllegalSubnetPoolPrefixBounds');
    expectNeutronError(await refused({ prefixes: ['10.0.0.0/8'], default_prefixlen: 4 }), 400, 'IllegalSubnetPoolPrefixBounds');
    expect((await refused({ prefixes: ['not-a-cidr'] })).status).toBe(400);
    const normalized = await createPool({ prefixes: ['172.16.0.9/24', '172.16.1.0/24'] });
    expect(normalized).toMatchObject({ prefixes: ['172.16.0.0/23'], address_scope_id: null, default_quota: null, revision_number: 0 });
  });

  it('keeps pools to their project unless the admin shares them', async () => {
    const own = await createPool({ name: 'alice-only', prefixes: ['10.30.0.0/16'], default_prefixlen: 24 });
    const bobsNetwork = await createNetwork('bob-net', bobToken);
    expectNeutronError(await api('GET', `/v2.0/subnetpools/${String(own['id'])}`, bobToken), 404, 'SubnetPoolNotFound');
    expectNeutronError(await subnetFrom(bobsNetwork['id'], own['id'], {}, bobToken), 404, 'SubnetPoolNotFound');
    expect((await api('GET', '/v2.0/subnetpools', bobToken)).body['subnetpools']).toEqual([]);
    expectNeutronError(await api('POST', '/v2.0/subnetpools', aliceToken, { subnetpool: { prefixes: ['10.40.0.0/16'], shared: true } }), 403, 'PolicyNotAuthorized');

    const shared = await cliJson(['subnet', 'pool', 'create', '--share', '--pool-prefix', '10.50.0.0/16', '--default-prefix-length', '24', 'public-pool']);
    expect(shared).toMatchObject({ shared: true });
    expect((await api('GET', '/v2.0/subnetpools', bobToken)).body['subnetpools']).toEqual([expect.objectContaining({ id: shared['id'] })]);
    expect((await subnetFrom(bobsNetwork['id'], shared['id'], {}, bobToken)).body['subnet']).toMatchObject({ cidr: '10.50.0.0/24', subnetpool_id: shared['id'] });
    expectNeutronError(await api('DELETE', `/v2.0/subnetpools/${String(shared['id'])}`, bobToken), 403, 'PolicyNotAuthorized');
  });

  it('never hands out overlapping prefixes under 20 concurrent allocations from one pool', async () => {
    const pool = await createPool({ name: 'busy', prefixes: ['10.60.0.0/16'], default_prefixlen: 24 });
    const networks = await Promise.all(Array.from({ length: 20 }, (_, index) => createNetwork(`busy-${index}`)));
    const answers = await Promise.all(networks.map((network) => subnetFrom(network['id'], pool['id'])));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    const allocated = answers.map((answer) => (answer.body['subnet'] as JsonObject)['cidr'] as string).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
    expect(allocated).toEqual(Array.from({ length: 20 }, (_, index) => `10.60.${index}.0/24`));
  }, 60_000);
});
