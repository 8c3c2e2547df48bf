import { expectNeutronError, type JsonObject, type NetworkCloud, startNetworkCloud } from '@overcast/shared/testing';

const ADMIN_PASSWORD = 'network-e2e-admin';

interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

describe('network service (Neutron v2.0) with the openstack CLI', () => {
  let cloud: NetworkCloud;
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  const cli = (args: string[], user?: NetworkCloud['admin']) => cloud.cli(args, user);
  const cliJson = <T = JsonObject>(args: string[], user?: NetworkCloud['admin']) => cloud.cliJson<T>(args, user);
  const api = (method: string, path: string, token: string, body?: unknown) => cloud.api(method, path, token, body);

  beforeAll(async () => {
    cloud = await startNetworkCloud(ADMIN_PASSWORD);
    ({ alice: aliceToken, bob: bobToken, admin: adminToken } = cloud.tokens);
  }, 180_000);

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
    const bobsNetworks = (await api('GET', '/v2.0/networks', bobToken)).body['networks'] as JsonObject[];
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
    expect(await cliJson<JsonObject[]>(['port', 'list'], cloud.alice)).toEqual([]);
  }, 120_000);

  it('refuses bad input with the right 4xx and Neutron error body, leaving nothing behind', async () => {
    const network = (await api('POST', '/v2.0/networks', aliceToken, { network: { name: 'checks' } })).body['network'] as JsonObject;
    const subnet = (await api('POST', '/v2.0/subnets', aliceToken, { subnet: { network_id: network['id'], ip_version: 4, cidr: '10.9.0.0/24', allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.20' }] } })).body['subnet'] as JsonObject;
    const subnetBody = (extra: JsonObject) => ({ subnet: { network_id: network['id'], ip_version: 4, cidr: '10.8.0.0/24', ...extra } });

    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ allocation_pools: [{ start: '10.8.0.10', end: '10.8.0.20' }, { start: '10.8.0.15', end: '10.8.0.30' }] })), 409, 'OverlappingAllocationPools');
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ gateway_ip: '10.7.0.1' })), 400);
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ cidr: '10.8.0.0/33' })), 400);
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ cidr: '10.9.0.128/25' })), 400, 'InvalidInput');
    expectNeutronError(await api('POST', '/v2.0/subnets', aliceToken, subnetBody({ color: 'blue' })), 400);
    expectNeutronError(await api('POST', '/v2.0/networks', aliceToken, { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet9' } }), 403, 'PolicyNotAuthorized');

    const port = (fixedIps: JsonObject[]) => api('POST', '/v2.0/ports', aliceToken, { port: { network_id: network['id'], fixed_ips: fixedIps } });
    expectNeutronError(await port([{ subnet_id: subnet['id'], ip_address: '10.8.0.5' }]), 400, 'InvalidIpForSubnet');
    expect((await port([{ subnet_id: subnet['id'], ip_address: '10.9.0.50' }])).status).toBe(201);
    expectNeutronError(await port([{ subnet_id: subnet['id'], ip_address: '10.9.0.50' }]), 409, 'IpAddressAlreadyAllocated');

    const group = (await api('POST', '/v2.0/security-groups', aliceToken, { security_group: { name: 'web' } })).body['security_group'] as JsonObject;
    const rule = (extra: JsonObject) => api('POST', '/v2.0/security-group-rules', aliceToken, { security_group_rule: { security_group_id: group['id'], direction: 'ingress', ...extra } });
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
    const ports = (await api('GET', `/v2.0/ports?network_id=${String(network['id'])}`, aliceToken)).body['ports'] as JsonObject[];
    expect(ports).toHaveLength(12);
  });

  it('never hands out one address twice under 50 concurrent creates, and reuses released ones', async () => {
    const network = (await api('POST', '/v2.0/networks', aliceToken, { network: { name: 'busy' } })).body['network'] as JsonObject;
    const subnet = (await api('POST', '/v2.0/subnets', aliceToken, { subnet: { network_id: network['id'], ip_version: 4, cidr: '10.20.0.0/24' } })).body['subnet'] as JsonObject;
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
    expect((first.body['networks'] as JsonObject[]).map((network) => network['name'])).toEqual(['page-a', 'page-b']);
    expect((first.body['networks'] as JsonObject[]).map((network) => Object.keys(network).sort())).toEqual([['id', 'name'], ['id', 'name']]);
    const next = new URL((first.body['networks_links'] as { rel: string; href: string }[]).find((link) => link.rel === 'next')?.href ?? 'http://missing/');
    const second = await api('GET', next.pathname + next.search, aliceToken);
    expect((second.body['networks'] as JsonObject[]).map((network) => network['name'])).toEqual(['page-c']);

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

  // Neutron's delete_subnet (db_base_plugin_v2._remove_subnet_ip_allocations_from_ports): a router
  // interface on a subnet always keeps it; on a SLAAC or DHCPv6-stateless subnet, the other ports lose
  // their address there and the subnet goes; elsewhere only the DHCP port may hold an address.
  describe('deleting a subnet ports have addresses on', () => {
    let alice: string;
    let admin: string;
    const inUse = (id: string) => `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`;

    beforeAll(() => {
      ({ alice, admin } = cloud.tokens);
    });

    const create = async (resource: string, body: JsonObject, token = alice): Promise<JsonObject> => {
      const answer = await cloud.api('POST', `/v2.0/${resource}s`, token, { [resource]: body });
      expect(answer.status).toBe(201);
      return answer.body[resource] as JsonObject;
    };
    const network = (name: string) => create('network', { name });
    const ipv6Subnet = (networkId: unknown, cidr: string, mode: 'slaac' | 'dhcpv6-stateless' | 'dhcpv6-stateful') =>
      create('subnet', { network_id: networkId, ip_version: 6, cidr, ipv6_address_mode: mode, ipv6_ra_mode: mode });
    const port = async (id: unknown) => (await cloud.api('GET', `/v2.0/ports/${String(id)}`, alice)).body['port'] as JsonObject & { fixed_ips: FixedIp[]; revision_number: number };
    const deleteSubnet = (id: unknown) => cloud.api('DELETE', `/v2.0/subnets/${String(id)}`, alice);

    it.each(['slaac', 'dhcpv6-stateless'] as const)('takes the addresses of ordinary ports off a %s subnet and deletes it; the ports keep their other addresses', async (mode) => {
      const net = await network(`auto-${mode}`);
      const v4 = await create('subnet', { network_id: net['id'], ip_version: 4, cidr: '10.61.0.0/24' });
      const v6 = await ipv6Subnet(net['id'], '2001:db8:61::/64', mode);
      // Neutron's default addressing: an IPv4 address, and the EUI-64 address of every auto-address subnet.
      const dual = await create('port', { network_id: net['id'], name: 'dual' });
      const v6Only = await create('port', { network_id: net['id'], name: 'v6-only', fixed_ips: [{ subnet_id: v6['id'] }] });
      const before = await port(dual['id']);
      expect(before.fixed_ips.map((ip) => ip.subnet_id).sort()).toEqual([v4['id'], v6['id']].sort());
      expect((await port(v6Only['id'])).fixed_ips).toEqual([expect.objectContaining({ subnet_id: v6['id'] })]);

      expect((await deleteSubnet(v6['id'])).status).toBe(204);

      expectNeutronError(await cloud.api('GET', `/v2.0/subnets/${String(v6['id'])}`, alice), 404, 'SubnetNotFound');
      const after = await port(dual['id']);
      expect(after.fixed_ips).toEqual(before.fixed_ips.filter((ip) => ip.subnet_id === v4['id']));
      // Changed as by a port update: a new revision.
      expect(after.revision_number).toBeGreaterThan(before.revision_number);
      expect((await port(v6Only['id'])).fixed_ips).toEqual([]);
      const left = (await cloud.api('GET', `/v2.0/ports?network_id=${String(net['id'])}&device_owner=`, alice)).body['ports'] as JsonObject[];
      expect(left.map((each) => each['name']).sort()).toEqual(['dual', 'v6-only']);
    }, 60_000);

    it('refuses, in Neutron\'s words, to delete a SLAAC subnet a router interface is on; without it, the subnet goes', async () => {
      const net = await network('slaac-routed');
      const v6 = await ipv6Subnet(net['id'], '2001:db8:62::/64', 'slaac');
      const host = await create('port', { network_id: net['id'], name: 'host' });
      const router = await create('router', { name: 'r-slaac' });
      const routerId = String(router['id']);
      const added = await cloud.api('PUT', `/v2.0/routers/${routerId}/add_router_interface`, alice, { subnet_id: v6['id'] });
      expect(added.status).toBe(200);

      const refused = await deleteSubnet(v6['id']);
      expectNeutronError(refused, 409, 'SubnetInUse');
      expect((refused.body['NeutronError'] as JsonObject)['message']).toBe(inUse(String(v6['id'])));
      // Nothing was taken away.
      expect((await cloud.api('GET', `/v2.0/subnets/${String(v6['id'])}`, alice)).status).toBe(200);
      expect((await port(host['id'])).fixed_ips).toEqual([expect.objectContaining({ subnet_id: v6['id'] })]);
      expect((await port(added.body['port_id'])).fixed_ips).toEqual([{ subnet_id: v6['id'], ip_address: '2001:db8:62::1' }]);

      // Every router interface owner counts (neutron_lib's ROUTER_INTERFACE_OWNERS), not just the plain one.
      const distributed = await create('port', { network_id: net['id'], device_owner: 'network:router_interface_distributed', fixed_ips: [{ subnet_id: v6['id'] }] }, admin);
      expect((await cloud.api('PUT', `/v2.0/routers/${routerId}/remove_router_interface`, alice, { subnet_id: v6['id'] })).status).toBe(200);
      expect((await deleteSubnet(v6['id'])).status).toBe(409);
      expect((await cloud.api('DELETE', `/v2.0/ports/${String(distributed['id'])}`, admin)).status).toBe(204);

      expect((await deleteSubnet(v6['id'])).status).toBe(204);
      expect((await port(host['id'])).fixed_ips).toEqual([]);
    }, 60_000);

    it('still refuses to delete an IPv4 or DHCPv6-stateful subnet a port has an address on, while the SLAAC subnet beside them lets go', async () => {
      const net = await network('stateful');
      const v4 = await create('subnet', { network_id: net['id'], ip_version: 4, cidr: '10.63.0.0/24' });
      const stateful = await ipv6Subnet(net['id'], '2001:db8:63::/64', 'dhcpv6-stateful');
      const slaac = await ipv6Subnet(net['id'], '2001:db8:64::/64', 'slaac');
      const host = await create('port', { network_id: net['id'], name: 'host' });
      expect((await port(host['id'])).fixed_ips.map((ip) => ip.subnet_id).sort()).toEqual([v4['id'], stateful['id'], slaac['id']].sort());

      for (const held of [v4, stateful]) {
        const refused = await deleteSubnet(held['id']);
        expectNeutronError(refused, 409, 'SubnetInUse');
        expect((refused.body['NeutronError'] as JsonObject)['message']).toBe(inUse(String(held['id'])));
      }
      expect((await deleteSubnet(slaac['id'])).status).toBe(204);
      expect((await port(host['id'])).fixed_ips.map((ip) => ip.subnet_id).sort()).toEqual([v4['id'], stateful['id']].sort());
      expectNeutronError(await deleteSubnet(v4['id']), 409, 'SubnetInUse');
      expectNeutronError(await deleteSubnet(stateful['id']), 409, 'SubnetInUse');
    }, 60_000);
  });
});
