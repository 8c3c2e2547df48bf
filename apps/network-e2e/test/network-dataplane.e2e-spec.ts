import { cleanEnvironment, createTestVhost, type Daemon, eventually, type JsonObject, type LabNamespace, NetnsLab, type NetworkCloud, type SimulatedHost, startNetworkCloud, startOvercast, type TestVhost } from '@overcast/shared/testing';

const ADMIN_PASSWORD = 'dataplane-e2e-admin';

/**
 * The workflow with the real openstack CLI, and then packets: two hosts (network
 * namespaces), the all-in-one's Linux bridge agent on one and a separate agent process on the
 * other, both on RabbitMQ; instances are namespaces plugged in by the agents.
 */
describe('network data plane: the CLI workflow with packets flowing (Linux bridge, two hosts)', () => {
  let lab: NetnsLab;
  let vhost: TestVhost;
  let cloud: NetworkCloud;
  let secondAgent: Daemon;
  let hostA: SimulatedHost;
  let hostB: SimulatedHost;

  const cli = (args: string[], user?: NetworkCloud['admin']) => cloud.cli(args, user);
  const cliJson = <T = JsonObject>(args: string[], user?: NetworkCloud['admin']) => cloud.cliJson<T>(args, user);
  const agentEnvironment = (host: SimulatedHost) => ({
    OVERCAST_HOST: host.name,
    OVERCAST_TRANSPORT_URL: vhost.url,
    OVERCAST_NETWORK_AGENT_DRIVER: 'linuxbridge',
    OVERCAST_NETWORK_AGENT_TUNNEL_IP: host.tunnelIp,
    OVERCAST_NETWORK_AGENT_TUNNEL_INTERFACE: host.settings.tunnelInterface,
    OVERCAST_NETWORK_AGENT_PHYSICAL_INTERFACES: Object.entries(host.settings.physicalInterfaces).map(([physnet, device]) => `${physnet}:${device}`).join(','),
    OVERCAST_NETWORK_AGENT_HOST_NAMESPACE: host.namespace,
    OVERCAST_NETWORK_AGENT_STATE_DIRECTORY: host.settings.stateDirectory,
  });

  /** A port bound to a host and plugged into an instance namespace there, as compute binds one. */
  const plug = async (port: string, host: SimulatedHost, instance: LabNamespace) => {
    await cli(['port', 'set', '--host', host.name, '--binding-profile', `netns=${instance.namespace}`, port]);
    const status = await eventually(
      async () => (await cliJson(['port', 'show', port]))['status'],
      (value) => value === 'ACTIVE',
      20_000,
    );
    expect(status).toBe('ACTIVE');
    return cliJson<{ fixed_ips: { ip_address: string }[] }>(['port', 'show', port]);
  };
  const pings = (from: LabNamespace, address: string, expected: boolean) =>
    eventually(
      () => from.ping(address),
      (answered) => answered === expected,
      10_000,
    );

  beforeAll(async () => {
    lab = await NetnsLab.create();
    hostA = await lab.addHost('ha');
    hostB = await lab.addHost('hb');
    vhost = await createTestVhost();
    cloud = await startNetworkCloud(ADMIN_PASSWORD, agentEnvironment(hostA));
    secondAgent = startOvercast('agent-hb', ['agent', 'network'], { ...cleanEnvironment(), OVERCAST_DATA_DIR: cloud.aio.dataDir, ...agentEnvironment(hostB) });
    const alive = await eventually(
      async () => (await cliJson<{ Host: string; Alive: boolean }[]>(['network', 'agent', 'list'])).filter((agent) => agent.Alive).map((agent) => agent.Host).sort(),
      (hosts) => hosts.length === 2,
      30_000,
    );
    expect(alive).toEqual(['ha', 'hb']);
  }, 180_000);

  afterAll(async () => {
    await secondAgent?.stop();
    await cloud?.aio.close();
    await vhost?.drop();
    await lab?.close();
  }, 60_000);

  it('gives instances their addresses by DHCP, connects them across hosts, NATs them out and in, and enforces security groups', async () => {
    await cli(['network', 'create', 'net1'], cloud.alice);
    await cli(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1'], cloud.alice);
    await cli(['network', 'create', '--external', '--provider-network-type', 'flat', '--provider-physical-network', 'physnet1', 'public']);
    await cli(['subnet', 'create', '--network', 'public', '--subnet-range', lab.externalCidr, '--gateway', lab.externalGatewayIp, '--allocation-pool', lab.externalPool, '--no-dhcp', 'pub-sub']);
    await cli(['router', 'create', 'r1'], cloud.alice);
    await cli(['router', 'set', '--external-gateway', 'public', 'r1'], cloud.alice);
    await cli(['router', 'add', 'subnet', 'r1', 'sub1'], cloud.alice);
    await cli(['port', 'create', '--network', 'net1', 'p1'], cloud.alice);
    await cli(['port', 'create', '--network', 'net1', 'p2'], cloud.alice);

    // p1 on host A, p2 on host B: each instance gets exactly its port's address from the one DHCP server.
    const vmA = await lab.addInstance('vma');
    const vmB = await lab.addInstance('vmb');
    const p1 = await plug('p1', hostA, vmA);
    const p2 = await plug('p2', hostB, vmB);
    expect(await vmA.lease()).toMatchObject({ ip: p1.fixed_ips[0]?.ip_address, router: '10.0.0.1', mtu: '1450' });
    expect(await vmB.lease()).toMatchObject({ ip: p2.fixed_ips[0]?.ip_address, router: '10.0.0.1' });

    // The default group lets its members reach each other: across the hosts, over VXLAN.
    expect(await pings(vmA, p2.fixed_ips[0]?.ip_address ?? '', true)).toBe(true);

    // Out through the router's SNAT: the external side sees only the router's gateway address.
    const gateway = (await cliJson<{ external_gateway_info: { external_fixed_ips: { ip_address: string }[] } }>(['router', 'show', 'r1'], cloud.alice)).external_gateway_info;
    await lab.external.acceptPingsOnlyFrom([gateway.external_fixed_ips[0]?.ip_address ?? '']);
    expect(await pings(vmA, lab.externalGatewayIp, true)).toBe(true);

    // In through a floating IP, once a rule lets ICMP in; out again when the rule goes.
    const fip = await cliJson(['floating', 'ip', 'create', 'public'], cloud.alice);
    const floatingIp = fip['floating_ip_address'] as string;
    await cli(['floating', 'ip', 'set', '--port', 'p1', floatingIp], cloud.alice);
    expect(await pings(lab.external, floatingIp, false)).toBe(false);
    const rule = await cliJson(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default'], cloud.alice);
    expect(await pings(lab.external, floatingIp, true)).toBe(true);
    await cli(['security', 'group', 'rule', 'delete', rule['id'] as string], cloud.alice);
    expect(await pings(lab.external, floatingIp, false)).toBe(false);

    // The agents said what they can wire: a VLAN segment needs 802.1q, which these hosts lack.
    expect((await cliJson(['port', 'show', 'p1']))['binding_vif_type']).toBe('bridge');
    await cli(['network', 'create', '--provider-network-type', 'vlan', '--provider-physical-network', 'physnet1', '--provider-segment', '100', 'vlan100']);
    await cli(['port', 'create', '--network', 'vlan100', '--host', hostA.name, 'on-vlan']);
    expect(await cliJson(['port', 'show', 'on-vlan'])).toMatchObject({ binding_vif_type: 'binding_failed', status: 'DOWN' });

    // Another tenant, same CIDR, on host B: its instance gets its own address and reaches nothing of alice's.
    await cli(['network', 'create', 'bobnet'], cloud.bob);
    await cli(['subnet', 'create', '--network', 'bobnet', '--subnet-range', '10.0.0.0/24', 'bobsub'], cloud.bob);
    await cli(['port', 'create', '--network', 'bobnet', 'p3'], cloud.bob);
    const vmC = await lab.addInstance('vmc');
    const p3 = await plug('p3', hostB, vmC);
    expect((await vmC.lease()).ip).toBe(p3.fixed_ips[0]?.ip_address);
    expect(p3.fixed_ips[0]?.ip_address).not.toBe(p2.fixed_ips[0]?.ip_address);
    expect(await pings(vmC, p2.fixed_ips[0]?.ip_address ?? '', false)).toBe(false);
  }, 240_000);
});
