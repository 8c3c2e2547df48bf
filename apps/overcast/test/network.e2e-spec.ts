import { expectNeutronError, type Json, type NetworkCloud, startNetworkCloud } from './network-cloud';

const ADMIN_PASSWORD = 'network-e2e-admin';

describe('network service (Neutron v2.0) with the openstack CLI', () => {
  let cloud: NetworkCloud;
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  const cli = (args: string[], user?: NetworkCloud['admin']) => cloud.cli(args, user);
  const cliJson = <T = Json>(args: string[], user?: NetworkCloud['admin']) => cloud.cliJson<T>(args, user);
  const api = (method: string, path: string, token: string, body?: unknown) => cloud.api(method, path, token, body);

  beforeAll(async () => {
    cloud = await startNetworkCloud(ADMIN_PASSWORD);
    ({ alice: aliceToken, bob: bobToken, admin: adminToken } = cloud.tokens);
  }, 120_000);

  afterAll(() => cloud?.aio.close());

  it("runs the issue's workflow: networks, subnets, an external network, a router, a port, a floating IP, a rule", async () => {
    const net1 = await cliJson(['network', 'create', 'net1'], cloud.alice);
    expect(net1).toMatchObject({ name: 'net1', status: 'ACTIVE', mtu: 1450, shared: false, 'router:external': false });
    const sub1 = await cliJson(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1'], cloud.alice);
    expect(sub1).toMatchObject({ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }], enable_dhcp: true });

    const pub = await cliJson(['network', 'create', '--external', '--provider-network-type', 'flat', '--provider-physical-network', 'physnet1', 'public']);
    expect(pub).toMatchObject({ 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', mtu: 1500 });
    await cliJson(['subnet', 'create', '--network', 'public', '--subnet-range', '203.0.113.0/24', '--no-dhcp', 'pub-sub']);

    const router = await cliJson(['router', 'create', 'r1'], cloud.alice);
    await cli(['router', 'set', '--external-gateway', 'public', 'r1'], cloud.alice);
    await cli(['router', 'add', 'subnet', 'r1', 'sub1'], cloud.alice);
    const shown = await cliJson(['router', 'show', 'r1'], cloud.alice);
    expect(shown['external_gateway_info']).toMatchObject({ network_id: pub['id'], enable_snat: true, external_fixed_ips: [{ ip_address: '203.0.113.2' }] });
    expect(shown['interfaces_info']).toEqual([expect.objectContaining({ ip_address: '10.0.0.1', subnet_id: sub1['id'] })]);

    const p1 = await cliJson(['port', 'create', '--network', 'net1', 'p1'], cloud.alice);
    expect(p1).toMatchObject({ status: 'DOWN', fixed_ips: [{ subnet_id: sub1['id'], ip_address: '10.0.0.2' }] });
    expect(p1['mac_address']).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);

    const fip = await cliJson(['floating', 'ip', 'create', 'public'], cloud.alice);
    expect(fip['floating_ip_address']).toBe('203.0.113.3');
    await cli(['floating', 'ip', 'set', '--port', 'p1', fip['floating_ip_address'] as string], cloud.alice);
    expect(await cliJson(['floating', 'ip', 'show', fip['id'] as string], cloud.alice)).toMatchObject({ port_id: p1['id'], fixed_ip_address: '10.0.0.2', router_id: router['id'] });

    await cli(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default'], cloud.alice);
    const rules = await cliJson<{ 'IP Protocol': string | null; Direction: string }[]>(['security', 'group', 'rule', 'list', 'default', '--long'], cloud.alice);
    expect(rules).toContainEqual(expect.objectContaining({ 'IP Protocol': 'icmp', Direction: 'ingress' }));
    const group = await cliJson(['security', 'group', 'show', 'default'], cloud.alice);
    expect(p1['security_group_ids']).toEqual([group['id']]);

    // Bound to a host with no agent, the binding fails; alice does not see bindings at all.
    await cli(['port', 'set', '--host', 'nowhere', 'p1']);
    expect(await cliJson(['port', 'show', 'p1'])).toMatchObject({ binding_host_id: 'nowhere', binding_vif_type: 'binding_failed' });
    expect((await api('GET', `/v2.0/ports/${String(p1['id'])}`, aliceToken)).body['port']).not.toHaveProperty('binding:host_id');
    // Compute's own user (role service) does: it reads the VIF type of the ports it binds.
    const compute = { name: 'compute-like', password: 'compute-like-secret', project: 'service' };
    await cli(['user', 'create', '--project', compute.project, '--password', compute.password, compute.name]);
    await cli(['role', 'add', '--project', compute.project, '--user', compute.name, 'service']);
    expect(await cliJson(['port', 'show', String(p1['id'])], compute)).toMatchObject({ binding_host_id: 'nowhere', binding_vif_type: 'binding_failed' });

    // What the tenant may not see or touch: another project's network is a 404 to bob; the external one he sees.
    expectNeutronError(await api('GET', `/v2.0/networks/${String(net1['id'])}`, bobToken), 404, 'NetworkNotFound');
    const bobsNetworks = (await api('GET', '/v2.0/networks', bobToken)).body['networks'] as Json[];
    expect(bobsNetworks.map((network) => network['name'])).toEqual(['public']);
    expectNeutronError(await api('POST', '/v2.0/ports', bobToken, { port: { network_id: net1['id'] } }), 404, 'NetworkNotFound');

    // Everything in use refuses to go; taken apart in order, it all goes.
    expectNeutronError(await api('DELETE', `/v2.0/subnets/${String(sub1['id'])}`, aliceToken), 409, 'SubnetInUse');
    expectNeutronError(await api('DELETE', `/v2.0/networks/${String(net1['id'])}`, aliceToken), 409, 'NetworkInUse');
    expectNeutronError(await api('DELETE', `/v2.0/routers/${String(router['id'])}`, aliceToken), 409, 'RouterInUse');
    await cli(['floating', 'ip', 'delete', fip['id'] as string], cloud.alice);
    await cli(['port', 'delete', 'p1'], cloud.alice);
    await cli(['router', 'remove', 'subnet', 'r1', 'sub1'], cloud.alice);
    await cli(['router', 'delete', 'r1'], cloud.alice);
    await cli(['network', 'delete', 'net1'], cloud.alice);
    expect(await cliJson<Json[]>(['port', 'list'], cloud.alice)).toEqual([]);
  }, 120_000);

  it('refuses bad input with the right 4xx and Neutron error body, leaving nothing behind', async () => {
    const network = (await api('POST', '/v2.0/networks', aliceToken, { network: { name: 'checks' } })).body['network'] as Json;
    const subnet = (await api('POST', '/v2.0/subnets', aliceToken, { subnet: { network_id: network['id'], ip_version: 4, cidr: '10.9.0.0/24', allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.20' }] } })).body['subnet'] as Json;
    const subnetBody = (extra: Json) => ({ subnet: { network_id: network['id'], ip_version: 4, cidr: '10.8.0.0/24', ...extra } });

    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ allocation_pools: [{ start: '10.8.0.10', end: '10.8.0.20' }, { start: '10.8.0.15', end: '10.8.0.30' }] })), 409, 'OverlappingAllocationPools');
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ gateway_ip: '10.7.0.1' })), 400);
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ cidr: '10.8.0.0/33' })), 400);
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ cidr: '10.9.0.128/25' })), 400, 'InvalidInput');
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ color: 'blue' })), 400);
    expectNeutronError(await api('POST', '/v2.0/networks', aliceToken, { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' } }), 403, 'PolicyNotAuthorized');

    const port = (fixedIps: Json[]) => api('POST', '/v2.0/ports', aliceToken, { port: { network_id: network['id'], fixed_ips: fixedIps } });
    expectNeutronError(await port([{ subnet_id: subnet['id'], ip_address: '10.8.0.5' }]), 400, 'InvalidIpForSubnet');
    expect((await port([{ subnet_id: subnet['id'], ip_address: '10.9.0.50' }])).status).toBe(201);
    expectNeutronError(await port([{ subnet_id: subnet['id'], ip_address: '10.9.0.50' }]), 409, 'IpAddressAlreadyAllocated');

    const group = (await api('POST', '/v2.0/security-groups', aliceToken, { security_group: { name: 'web' } })).body['security_group'] as Json;
    const rule = (extra: Json) => api('POST', '/v2.0/security-group-rules', aliceToken, { security_group_rule: { security_group_id: group['id'], direction: 'ingress', ...extra } });
    expectNeutronError(await api('PUT', `/v2.0/security-groups/${String(group['id'])}`, aliceToken, { security_group: { name: 'default' } }), 409, 'SecurityGroupDefaultAlreadyExists');
    expectNeutronError(await rule({ protocol: 'banana' }), 400, 'SecurityGroupRuleInvalidProtocol');
    expectNeutronError(await rule({ protocol: 'tcp', port_range_min: 90, port_range_max: 80 }), 400, 'SecurityGroupInvalidPortRange');
    expectNeutronError(await rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 80 }), 400, 'SecurityGroupInvalidPortValue');
    expectNeutronError(await rule({ protocol: 'tcp', remote_ip_prefix: '::/0' }), 400);
    expect((await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 })).status).toBe(201);
    expectNeutronError(await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 }), 409, 'SecurityGroupRuleExists');
    expectNeutronError(await api('DELETE', `/v2.0/security-group-rules/${String(group['id'])}`, bobToken), 404, 'SecurityGroupRuleNotFound');

    // The pool holds 11 addresses (10.9.0.50 lies outside it): the 12th port from the pool finds none.
    const created = await Promise.all(Array.from({ length: 11 }, () => port([{ subnet_id: subnet['id'] }])));
    expect(created.map((answer) => answer.status)).toEqual(Array(11).fill(201));
    expectNeutronError(await port([{ subnet_id: subnet['id'] }]), 409, 'IpAddressGenerationFailure');
    const ports = (await api('GET', `/v2.0/ports?network_id=${String(network['id'])}`, aliceToken)).body['ports'] as Json[];
    expect(ports).toHaveLength(12);
  });

  it('never hands out one address twice under 50 concurrent creates, and reuses released ones', async () => {
    const network = (await api('POST', '/v2.0/networks', aliceToken, { network: { name: 'busy' } })).body['network'] as Json;
    const subnet = (await api('POST', '/v2.0/subnets', aliceToken, { subnet: { network_id: network['id'], ip_version: 4, cidr: '10.20.0.0/24' } })).body['subnet'] as Json;
    const answers = await Promise.all(Array.from({ length: 50 }, () => api('POST', '/v2.0/ports', aliceToken, { port: { network_id: network['id'] } })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(201));
    const ports = answers.map((answer) => answer.body['port'] as { id: string; mac_address: string; fixed_ips: { ip_address: string; subnet_id: string }[] });
    const addresses = ports.map((port) => port.fixed_ips[0]?.ip_address);
    expect(new Set(addresses).size).toBe(50);
    expect(new Set(ports.map((port) => port.mac_address)).size).toBe(50);
    expect(ports.every((port) => port.fixed_ips[0]?.subnet_id === subnet['id'])).toBe(true);

    const [released] = ports.splice(7, 1);
    expect((await api('DELETE', `/v2.0/ports/${String(released?.id)}`, aliceToken)).status).toBe(204);
    const again = (await api('POST', '/v2.0/ports', aliceToken, { port: { network_id: network['id'] } })).body['port'] as { fixed_ips: { ip_address: string }[] };
    expect(again.fixed_ips[0]?.ip_address).toBe(released?.fixed_ips[0]?.ip_address);
  });

  it('lists with filters, fields, sorting and pagination links, as Neutron does', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await api('POST', '/v2.0/networks', aliceToken, { network: { name } });
    }
    const first = await api('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2&fields=name&fields=id&name=page-a&name=page-b&name=page-c', aliceToken);
    expect((first.body['networks'] as Json[]).map((network) => network['name'])).toEqual(['page-a', 'page-b']);
    expect((first.body['networks'] as Json[]).map((network) => Object.keys(network).sort())).toEqual([['id', 'name'], ['id', 'name']]);
    const next = new URL((first.body['networks_links'] as { rel: string; href: string }[]).find((link) => link.rel === 'next')?.href ?? 'http://missing/');
    const second = await api('GET', next.pathname + next.search, aliceToken);
    expect((second.body['networks'] as Json[]).map((network) => network['name'])).toEqual(['page-c']);

    const extensions = ((await api('GET', '/v2.0/extensions', aliceToken)).body['extensions'] as { alias: string }[]).map((extension) => extension.alias);
    expect(extensions).toEqual(expect.arrayContaining(['router', 'external-net', 'security-group', 'quotas', 'binding', 'provider']));
    expect((await api('GET', '/v2.0/quotas/' + 'x', bobToken)).status).toBe(403);
    const demo = await cliJson(['project', 'show', 'demo']);
    expect((await api('GET', `/v2.0/quotas/${String(demo['id'])}`, aliceToken)).body['quota']).toMatchObject({ network: 100, port: 500 });
    expect((await api('PUT', `/v2.0/quotas/${String(demo['id'])}`, adminToken, { quota: { router: 3 } })).body['quota']).toMatchObject({ router: 3 });
    const details = (await api('GET', `/v2.0/quotas/${String(demo['id'])}/details`, aliceToken)).body['quota'] as Record<string, { used: number; limit: number }>;
    expect(details['router']).toEqual({ limit: 3, used: 0, reserved: 0 });
    expect((await api('GET', '/v2.0/network-ip-availabilities', adminToken)).status).toBe(200);
  }, 60_000);
});
