import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HostState, type NetworkSegment, type PortSpec, type RouterInterfaceSpec, type RouterSpec, type SecurityGroupSpec, type SubnetSpec } from '@overcast/network/contracts';
import { eventually, type LabNamespace, NetnsLab, runInNamespace, type SimulatedHost } from '@overcast/shared/testing';
import { canonicalIp, eui64LinkLocal } from './host/ip-addresses';
import { deviceName } from './host/links';
import { listNamespaces } from './host/namespaces';
import { readPidFile, runningCommandLine, stopDaemon } from './host/processes';
import { radvdFiles } from './l3/radvd-config';
import { type L2Driver } from './l2-driver';
import { LinuxBridgeDriver } from './linuxbridge/linuxbridge.driver';
import { OvsDriver } from './ovs/ovs.driver';
import { startOvs } from './ovs/testing-ovs';
import { hostCommands, hostState, portOn, randomMac, rule, subnetOf, vxlanNetwork } from './testing/host-state-builders';

/**
 * IPv6 subnets as a tenant uses them, in Neutron's three modes, on two simulated hosts of the netns
 * lab (h1 the network node with the router and the DHCP server, h2 the compute node with the
 * instance, so every advertisement and DHCPv6 exchange crosses the tunnel and the instance's
 * firewall): radvd in the router's namespace advertises, dnsmasq in the DHCP namespace answers
 * DHCPv6, and the instance's own kernel (SLAAC) and ISC dhclient (`dhclient -6`) take them. Needs
 * root, radvd and isc-dhcp-client besides the drivers' own tools.
 */

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;
/** An instance solicits a router once its link-local address is usable (DAD takes a second or two); radvd answers at once. */
const ADVERTISEMENT_MS = 20_000;
const REACH_MS = 10_000;

/** A simulated host with a driver on it, and how to stop what its set-up started. */
interface DriverHost {
  host: SimulatedHost;
  driver: L2Driver;
  stop(): Promise<void>;
}

async function linuxBridgeHost(lab: NetnsLab, name: string): Promise<DriverHost> {
  const host = await lab.addHost(name);
  return { host, driver: new LinuxBridgeDriver(host.settings), stop: () => Promise.resolve() };
}

/**
 * An Open vSwitch of the host's own, set up as ovs.int-spec.ts does: for VXLAN in the userspace
 * datapath the underlay interface becomes a port of an OVS bridge, and the tunnel IP moves onto it.
 */
async function ovsHost(lab: NetnsLab, name: string): Promise<DriverHost> {
  const host = await lab.addHost(name);
  const ovs = await startOvs(host.namespace, join(lab.directory, `ovs-${name}`));
  const underlay = host.settings.tunnelInterface ?? 'ul0';
  await ovs.vsctl('add-br', 'br-ul', '--', 'set', 'Bridge', 'br-ul', 'datapath_type=netdev', '--', 'add-port', 'br-ul', underlay);
  await hostCommands(host).run('ip', ['address', 'delete', `${host.tunnelIp}/24`, 'dev', underlay]);
  await hostCommands(host).run('ip', ['address', 'add', `${host.tunnelIp}/24`, 'dev', 'br-ul']);
  await hostCommands(host).run('ip', ['link', 'set', 'br-ul', 'up']);
  return { host, driver: new OvsDriver({ ...host.settings, tunnelInterface: 'br-ul', ovsdbSocket: ovs.ovsdbSocket }), stop: () => ovs.stop() };
}

/** Egress only: nothing may reach the instance but what its firewall always admits and the replies to what it sent. */
function egressOnlyGroup(): SecurityGroupSpec {
  return { id: randomUUID(), rules: [rule('egress'), rule('egress', { ethertype: 'IPv6' })], memberIps: [] };
}

function ipv6Subnet(network: NetworkSegment, cidr: string, mode: NonNullable<SubnetSpec['ipv6RaMode']>, dnsNameservers: string[] = []): SubnetSpec {
  return subnetOf(network, cidr, cidr.replace('::/64', '::1'), { ipVersion: 6, ipv6RaMode: mode, ipv6AddressMode: mode, dnsNameservers });
}

/** The address SLAAC makes in a `<a>:<b>:<c>::/64`: the prefix and the MAC's EUI-64 (what the server stores as the port's fixed IP). */
function slaacAddress(subnet: SubnetSpec, macAddress: string): string {
  return canonicalIp(subnet.cidr.replace('::/64', `::${eui64LinkLocal(macAddress).slice('fe80::'.length)}`));
}

function router(interfaces: RouterInterfaceSpec[]): RouterSpec {
  return { id: randomUUID(), adminStateUp: true, interfaces, routes: [], floatingIps: [] };
}

interface AddressInfo {
  /** Absent from the empty entry `ip -j` (iproute2 6.1) appends when an address is dynamic (SLAAC, DHCPv6). */
  local?: string;
  tentative?: boolean;
}

/** The instance's IPv6 addresses of one scope on eth0; `usable` leaves out those still in duplicate address detection. */
async function addresses(vm: LabNamespace, scope: 'global' | 'link', usable: boolean): Promise<string[]> {
  const [info] = JSON.parse(await vm.run('ip', ['-6', '-j', 'address', 'show', 'dev', 'eth0', 'scope', scope])) as { addr_info: AddressInfo[] }[];
  return (info?.addr_info ?? []).filter(({ tentative }) => !usable || tentative !== true).flatMap(({ local }) => (local === undefined ? [] : [local]));
}

async function defaultRoute(namespace: string): Promise<{ gateway?: string; protocol?: string } | undefined> {
  const routes = JSON.parse(await runInNamespace(namespace, 'ip', ['-6', '-j', 'route', 'show', 'default'])) as { gateway?: string; protocol?: string }[];
  return routes[0];
}

/** dhclient's script: puts the address it was given on eth0 (as an instance's client would) and writes what it learnt for the test. */
const DHCLIENT_SCRIPT = `#!/bin/sh
case "$reason" in
  BOUND6|RENEW6)
    if [ -n "$new_ip6_address" ]; then ip -6 address add "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" nodad; fi
    echo "address=$new_ip6_address dns=$new_dhcp6_name_servers" > "$(dirname "$0")/reply" ;;
esac
`;

describe.each([
  ['linuxbridge', linuxBridgeHost],
  ['ovs', ovsHost],
])('IPv6 subnets with the %s driver', (_name, addHost) => {
  let lab: NetnsLab;
  let h1: DriverHost;
  let h2: DriverHost;

  beforeAll(async () => {
    lab = await NetnsLab.create();
    h1 = await addHost(lab, 'h1');
    h2 = await addHost(lab, 'h2');
    await Promise.all([h1.driver.start(), h2.driver.start()]);
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([h1?.driver.removeAll(), h2?.driver.removeAll()]);
    await Promise.allSettled([h1?.stop(), h2?.stop()]);
    await lab?.close();
  }, HOOK_TIMEOUT_MS);

  /** A host's state, with the other host as its tunnel peer for the network. */
  function stateOf(self: DriverHost, network: NetworkSegment, parts: Partial<HostState>): HostState {
    const other = self === h1 ? h2 : h1;
    return hostState(self.host.name, { networks: [network], tunnelPeers: [{ host: other.host.name, ip: other.host.tunnelIp, segmentationIds: [network.segmentationId ?? 0] }], ...parts });
  }

  async function apply(self: DriverHost, state: HostState): Promise<void> {
    expect((await self.driver.apply(state)).failedPorts).toEqual([]);
  }

  /** The network node (router, DHCP) first, so the instance's first router solicitation finds radvd running. */
  async function wire(network: NetworkSegment, networkNode: Partial<HostState>, instancePort: PortSpec, group: SecurityGroupSpec): Promise<void> {
    await apply(h1, stateOf(h1, network, networkNode));
    await apply(h2, stateOf(h2, network, { ports: [instancePort], securityGroups: [group] }));
  }

  /**
   * An instance on `network` that takes router advertisements and makes SLAAC addresses (set before
   * its eth0 arrives), behind an egress-only group; its fixed IPs may depend on its MAC (SLAAC).
   */
  async function instance(name: string, network: NetworkSegment, fixedIps: (macAddress: string) => PortSpec['fixedIps']): Promise<{ vm: LabNamespace; port: PortSpec; group: SecurityGroupSpec }> {
    const vm = await lab.addInstance(name);
    await vm.run('sysctl', ['-q', '-w', 'net.ipv6.conf.default.accept_ra=1', 'net.ipv6.conf.default.autoconf=1']);
    const macAddress = randomMac();
    const group = egressOnlyGroup();
    const port: PortSpec = {
      id: randomUUID(),
      networkId: network.networkId,
      macAddress,
      fixedIps: fixedIps(macAddress),
      adminStateUp: true,
      portSecurityEnabled: true,
      securityGroupIds: [group.id],
      allowedAddressPairs: [],
      device: { kind: 'veth', namespace: vm.namespace },
    };
    return { vm, port, group };
  }

  /** The DHCP server's host entries: one per fixed IP of each port, named by dnsmasq's fallback. */
  const hostEntries = (...ports: PortSpec[]) => ports.flatMap(({ macAddress, fixedIps }) => fixedIps.map(({ ipAddress }) => ({ macAddress, ipAddress, hostname: '' })));

  /** Runs `dhclient -6` once in the instance (`-S`: information only) and says what it got; fails when no reply comes in 10 s. */
  async function dhcpv6(vm: LabNamespace, informationOnly: boolean): Promise<string> {
    const directory = join(lab.directory, `dhclient-${vm.namespace}`);
    await mkdir(directory, { recursive: true });
    const file = (name: string) => join(directory, name);
    await writeFile(file('script'), DHCLIENT_SCRIPT, { mode: 0o755 });
    await writeFile(file('dhclient.conf'), 'timeout 10;\n');
    // Neighbour discovery must be done with the link-local address dhclient sends from.
    expect(await eventually(() => addresses(vm, 'link', true), (usable) => usable.length > 0, ADVERTISEMENT_MS)).not.toEqual([]);
    try {
      await vm.run('dhclient', ['-6', ...(informationOnly ? ['-S'] : []), '-1', '-cf', file('dhclient.conf'), '-sf', file('script'), '-lf', file('leases'), '-pf', file('pid'), 'eth0']);
      return (await readFile(file('reply'), 'utf8')).trim();
    } finally {
      // With a lease dhclient stays in the background to renew it.
      await stopDaemon(file('pid'));
    }
  }

  const pings = (vm: LabNamespace, address: string) => eventually(() => vm.ping(address), (ok) => ok, REACH_MS);

  it("SLAAC: the router advertises, the instance makes its EUI-64 address, routes by the router's link-local address and reaches the gateway; radvd reloads, stops and goes with the router", async () => {
    const network = vxlanNetwork(601);
    const subnet = ipv6Subnet(network, '2001:db8:61::/64', 'slaac');
    const routerPort = portOn(subnet, '2001:db8:61::1');
    const { vm, port, group } = await instance('slaac', network, (mac) => [{ subnetId: subnet.id, ipAddress: slaacAddress(subnet, mac) }]);
    const leg = { network, port: routerPort, subnets: [subnet] };
    const theRouter = router([leg]);
    await wire(network, { routers: [theRouter] }, port, group);

    const address = port.fixedIps[0]?.ipAddress ?? '';
    expect(await eventually(() => addresses(vm, 'global', true), (usable) => usable.includes(address), ADVERTISEMENT_MS)).toEqual([address]);
    expect(await defaultRoute(vm.namespace)).toMatchObject({ gateway: eui64LinkLocal(routerPort.macAddress), protocol: 'ra' });
    expect(await pings(vm, subnet.gatewayIp ?? '')).toBe(true);

    // A second advertising leg: radvd reads its configuration again (SIGHUP) and keeps its PID.
    const files = radvdFiles(h1.host.settings.stateDirectory, theRouter.id);
    const pid = await readPidFile(files.pidFile);
    expect(await runningCommandLine(pid ?? 0)).toEqual(expect.arrayContaining(['radvd', files.pidFile]));
    const otherNetwork = vxlanNetwork(602);
    const otherSubnet = ipv6Subnet(otherNetwork, '2001:db8:62::/64', 'slaac');
    const otherLeg = { network: otherNetwork, port: portOn(otherSubnet, '2001:db8:62::1'), subnets: [otherSubnet] };
    await apply(h1, stateOf(h1, network, { networks: [network, otherNetwork], routers: [{ ...theRouter, interfaces: [leg, otherLeg] }] }));
    expect(await readFile(files.configFile, 'utf8')).toContain(`interface ${deviceName('qr-', otherLeg.port.id)}\n`);
    expect(await eventually(() => readFile(files.logFile, 'utf8'), (log) => log.includes('reread config file'))).toContain('reread config file');
    expect(await readPidFile(files.pidFile)).toBe(pid);

    // No leg left to advertise on: radvd stops and its files go, the router stays.
    const routerNamespace = hostCommands(h1.host).namespaceName(`qrouter-${theRouter.id}`);
    await apply(h1, stateOf(h1, network, { routers: [{ ...theRouter, interfaces: [] }] }));
    expect(await runningCommandLine(pid ?? 0)).toBeUndefined();
    await expect(access(files.directory)).rejects.toThrow();
    expect(await listNamespaces(hostCommands(h1.host), routerNamespace)).toEqual([routerNamespace]);

    // The router goes while it advertises: radvd goes with it.
    await apply(h1, stateOf(h1, network, { routers: [theRouter] }));
    const restarted = await readPidFile(files.pidFile);
    expect(await runningCommandLine(restarted ?? 0)).toBeDefined();
    await apply(h1, stateOf(h1, network, {}));
    expect(await runningCommandLine(restarted ?? 0)).toBeUndefined();
    await expect(access(files.directory)).rejects.toThrow();
    expect(await listNamespaces(hostCommands(h1.host), routerNamespace)).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('DHCPv6-stateful: the advertisement sends the instance to DHCPv6 and makes no SLAAC address; dnsmasq hands out its fixed IPv6 (and DHCP its IPv4 one, same MAC)', async () => {
    const network = vxlanNetwork(603);
    const subnet4 = subnetOf(network, '10.63.0.0/24', '10.63.0.1');
    const subnet6 = ipv6Subnet(network, '2001:db8:63::/64', 'dhcpv6-stateful', ['2001:db8:63::53']);
    const dhcpPort = { ...portOn(subnet4, '10.63.0.2'), fixedIps: [{ subnetId: subnet4.id, ipAddress: '10.63.0.2' }, { subnetId: subnet6.id, ipAddress: '2001:db8:63::2' }] };
    const routerPort = portOn(subnet6, '2001:db8:63::1');
    const { vm, port, group } = await instance('stateful', network, () => [{ subnetId: subnet4.id, ipAddress: '10.63.0.11' }, { subnetId: subnet6.id, ipAddress: '2001:db8:63::11' }]);
    const dhcp = [{ network, port: dhcpPort, subnets: [subnet4, subnet6], hosts: hostEntries(dhcpPort, port) }];
    await wire(network, { dhcp, routers: [router([{ network, port: routerPort, subnets: [subnet6] }])] }, port, group);

    const viaRouter = { gateway: eui64LinkLocal(routerPort.macAddress), protocol: 'ra' };
    expect(await eventually(() => defaultRoute(vm.namespace), (route) => route?.gateway === viaRouter.gateway, ADVERTISEMENT_MS)).toMatchObject(viaRouter);
    expect(await dhcpv6(vm, false)).toBe('address=2001:db8:63::11 dns=2001:db8:63::53');
    // Long after the advertisement: its prefix is off SLAAC, so the only global address is DHCPv6's.
    expect(await addresses(vm, 'global', false)).toEqual(['2001:db8:63::11']);
    expect(await vm.lease()).toMatchObject({ ip: '10.63.0.11', router: '10.63.0.1' });
    expect(await pings(vm, '2001:db8:63::1')).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('DHCPv6-stateless: the instance makes its address by SLAAC and gets its DNS servers from dnsmasq; the DHCP server takes no route from the advertisement', async () => {
    const network = vxlanNetwork(604);
    const subnet4 = subnetOf(network, '10.64.0.0/24', '10.64.0.1');
    const subnet6 = ipv6Subnet(network, '2001:db8:64::/64', 'dhcpv6-stateless', ['2001:db8:64::53']);
    // The server makes a DHCP port only beside a subnet it hands addresses on (here the IPv4 one); its IPv6 address is its EUI-64 one.
    const dhcpMac = randomMac();
    const dhcpPort = { ...portOn(subnet4, '10.64.0.2'), macAddress: dhcpMac, fixedIps: [{ subnetId: subnet4.id, ipAddress: '10.64.0.2' }, { subnetId: subnet6.id, ipAddress: slaacAddress(subnet6, dhcpMac) }] };
    const routerPort = portOn(subnet6, '2001:db8:64::1');
    const { vm, port, group } = await instance('stateless', network, (mac) => [{ subnetId: subnet4.id, ipAddress: '10.64.0.11' }, { subnetId: subnet6.id, ipAddress: slaacAddress(subnet6, mac) }]);
    const dhcp = [{ network, port: dhcpPort, subnets: [subnet4, subnet6], hosts: hostEntries(dhcpPort, port) }];
    await wire(network, { dhcp, routers: [router([{ network, port: routerPort, subnets: [subnet6] }])] }, port, group);

    const address = port.fixedIps[1]?.ipAddress ?? '';
    expect(await eventually(() => addresses(vm, 'global', true), (usable) => usable.includes(address), ADVERTISEMENT_MS)).toEqual([address]);
    expect(await dhcpv6(vm, true)).toBe('address= dns=2001:db8:64::53');
    expect(await pings(vm, '2001:db8:64::1')).toBe(true);
    expect(await defaultRoute(hostCommands(h1.host).namespaceName(`qdhcp-${network.networkId}`))).toBeUndefined();
  }, TEST_TIMEOUT_MS);
});
