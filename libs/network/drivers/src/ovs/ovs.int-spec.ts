import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type HostState, type NetworkSegment, type PortSpec, type RouterSpec, type SecurityGroupSpec, type SubnetSpec } from '@overcast/network/contracts';
import { dnsmasqFiles } from '../dhcp/dnsmasq-config';
import { listLinks } from '../host/links';
import { listNamespaces } from '../host/namespaces';
import { readPidFile } from '../host/processes';
import { type L2Capabilities } from '../l2-driver';
import { dhcpHost, hostCommands, flatNetwork, hostState, portOn, rule, subnetOf, vxlanNetwork } from '../testing/host-state-builders';
import { createTempDir, Daemon, eventually, EXTERNAL_CIDR, EXTERNAL_GATEWAY_IP, EXTERNAL_PHYSNET, type LabNamespace, NetnsLab, type SimulatedHost, type TempDir } from '@overcast/shared/testing';
import { OvsDriver } from './ovs.driver';
import { type OvsSettings } from './ovs-settings';
import { type OvsInstance, startOvs } from './testing-ovs';

/**
 * The ovs driver against real Open vSwitch in the userspace datapath: two simulated hosts of the
 * netns lab, each with its own ovsdb-server and ovs-vswitchd; instances are namespaces with the
 * port's veth as eth0. Needs root and openvswitch-switch, ethtool, dnsmasq-base, iptables,
 * busybox-static, iproute2.
 */

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;
/** How long traffic may take to flow after an apply (ARP, also for the tunnel endpoint). */
const REACH_MS = 10_000;

/** A simulated host with its OVS and its driver. */
interface OvsHost {
  host: SimulatedHost;
  ovs: OvsInstance;
  settings: OvsSettings;
  driver: OvsDriver;
}

let lab: NetnsLab;
let ovsFiles: TempDir;
let h1: OvsHost;
let h2: OvsHost;
let capabilities: L2Capabilities;
const servers: Daemon[] = [];

/**
 * What the operator of a host does for VXLAN in the userspace datapath: the underlay interface
 * becomes a port of an OVS bridge, and the tunnel IP moves onto that bridge.
 */
async function startOvsHost(name: string): Promise<OvsHost> {
  const host = await lab.addHost(name);
  const ovs = await startOvs(host.namespace, join(ovsFiles.path, name));
  const underlay = host.settings.tunnelInterface ?? 'ul0';
  await ovs.vsctl('add-br', 'br-ul', '--', 'set', 'Bridge', 'br-ul', 'datapath_type=netdev', '--', 'add-port', 'br-ul', underlay);
  await hostCommands(host).run('ip', ['address', 'delete', `${host.tunnelIp}/24`, 'dev', underlay]);
  await hostCommands(host).run('ip', ['address', 'add', `${host.tunnelIp}/24`, 'dev', 'br-ul']);
  await hostCommands(host).run('ip', ['link', 'set', 'br-ul', 'up']);
  const settings = { ...host.settings, tunnelInterface: 'br-ul', ovsdbSocket: ovs.ovsdbSocket };
  return { host, ovs, settings, driver: new OvsDriver(settings) };
}

beforeAll(async () => {
  lab = await NetnsLab.create();
  ovsFiles = await createTempDir('overcast-ovs');
  h1 = await startOvsHost('h1');
  h2 = await startOvsHost('h2');
  [capabilities] = await Promise.all([h1.driver.start(), h2.driver.start()]);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.allSettled([h1?.driver.removeAll(), h2?.driver.removeAll()]);
  await Promise.all([h1?.ovs.stop(), h2?.ovs.stop()]);
  await lab?.close();
  await ovsFiles?.remove();
}, HOOK_TIMEOUT_MS);

function reaches(from: LabNamespace, address: string, source?: string): Promise<boolean> {
  return eventually(() => from.ping(address, source), (ok) => ok, REACH_MS);
}

/** A host's tunnel peers: the other host, with the VNIs given. */
function peersOf(self: OvsHost, vnis: number[]): HostState['tunnelPeers'] {
  return [h1, h2].filter((other) => other !== self).map((other) => ({ host: other.host.name, ip: other.host.tunnelIp, segmentationIds: vnis }));
}

/** Applies each host's state in turn and expects every port to be wired. */
async function applyAll(states: [OvsHost, HostState][]): Promise<void> {
  for (const [{ driver }, state] of states) {
    expect((await driver.apply(state)).failedPorts).toEqual([]);
  }
}

/** An instance namespace and its port (a veth into it) with the fixed IPs given, one per subnet. */
async function instance(name: string, addresses: [SubnetSpec, string][], options: Partial<PortSpec> = {}): Promise<{ vm: LabNamespace; port: PortSpec }> {
  const vm = await lab.addInstance(name);
  const [[subnet, address], ...more] = addresses as [[SubnetSpec, string], ...[SubnetSpec, string][]];
  const port = portOn(subnet, address, { namespace: vm.namespace, ...options });
  port.fixedIps.push(...more.map(([{ id }, ipAddress]) => ({ subnetId: id, ipAddress })));
  return { vm, port };
}

async function addFixedAddresses({ vm, port }: { vm: LabNamespace; port: PortSpec }): Promise<void> {
  for (const { ipAddress } of port.fixedIps) {
    await vm.addAddress(ipAddress.includes(':') ? `${ipAddress}/64` : `${ipAddress}/24`);
  }
}

/** Neutron's default group: all egress, and ingress from the group's own members (IPv4 and IPv6). */
function defaultGroup(memberIps: string[] = []): SecurityGroupSpec {
  const id = randomUUID();
  return {
    id,
    rules: [rule('egress'), rule('ingress', { remoteGroupId: id }), rule('egress', { ethertype: 'IPv6' }), rule('ingress', { ethertype: 'IPv6', remoteGroupId: id })],
    memberIps,
  };
}

function vlanNetwork(tag: number): NetworkSegment {
  return { ...flatNetwork(EXTERNAL_PHYSNET), networkType: 'vlan', segmentationId: tag };
}

/** A TCP server in the instance that answers every connection with "ok". */
function serveTcp(vm: LabNamespace, port: number): void {
  servers.push(Daemon.start(`nc -l ${port} in ${vm.namespace}`, 'ip', ['netns', 'exec', vm.namespace, 'busybox', 'nc', '-ll', '-p', String(port), '-e', '/bin/echo', 'ok']));
}

/** How many ICMP echo requests the instance's kernel has received (Icmp InEchos in /proc/net/snmp). */
async function echoRequestsReceived(vm: LabNamespace): Promise<number> {
  const [names, values] = (await vm.run('cat', ['/proc/net/snmp'])).split('\n').filter((line) => line.startsWith('Icmp:'));
  return Number(values?.split(' ')[names?.split(' ').indexOf('InEchos') ?? -1]);
}

function connects(from: LabNamespace, address: string, port: number): Promise<boolean> {
  return from.run('busybox', ['nc', '-w', '1', address, String(port)]).then(
    (answer) => answer.trim() === 'ok',
    () => false,
  );
}

const tapOf = (port: PortSpec) => `tap${port.id.slice(0, 11)}`;

/** The tag of an OVS port; `[]` when it has none. */
async function tagOf(host: OvsHost, port: string): Promise<string> {
  return (await host.ovs.vsctl('get', 'Port', port, 'tag')).trim();
}

async function flowsOf(host: OvsHost, bridge: string): Promise<string[]> {
  const dump = await host.ovs.ofctl('dump-flows', bridge, '--no-stats');
  return dump.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('OFPST_FLOW'));
}

describe('OvsDriver on simulated hosts, each with its own Open vSwitch', () => {
  it('starts: makes its bridges in the userspace datapath, closed until its flows say otherwise, and reports every network type', async () => {
    expect(capabilities).toEqual({ networkTypes: ['local', 'flat', 'vlan', 'vxlan'], notes: [] });
    for (const bridge of ['br-int', 'br-tun', 'br-physnet1']) {
      expect(await h1.ovs.vsctl('get', 'Bridge', bridge, 'datapath_type', 'fail_mode')).toBe('netdev\nsecure\n');
    }
  });

  it('refuses to start when the tunnel IP is not on an OVS bridge, or when no ovsdb-server answers, saying why', async () => {
    const onLoopback = new OvsDriver({ ...h1.settings, tunnelIp: '127.0.0.1' });
    await expect(onLoopback.start()).rejects.toThrow('the tunnel IP 127.0.0.1 is on lo, which is not an OVS bridge');
    const noOvs = new OvsDriver({ ...h1.settings, ovsdbSocket: join(ovsFiles.path, 'nothing.sock') });
    await expect(noOvs.start()).rejects.toThrow(/^ovsdb-server does not answer on .*nothing\.sock; start Open vSwitch \(package openvswitch-switch/);
  });

  it("joins one VXLAN network across two hosts, keeps another tenant's VNI and local VLAN apart, floods only to peers with the VNI, and downs admin-down ports", async () => {
    const netA = vxlanNetwork(101);
    const netB = vxlanNetwork(102);
    // Both tenants use the same addresses: only the network keeps them apart.
    const subnetA = subnetOf(netA, '10.1.0.0/24', null);
    const subnetB = subnetOf(netB, '10.1.0.0/24', null);
    const a1 = await instance('a1', [[subnetA, '10.1.0.11']]);
    const a2 = await instance('a2', [[subnetA, '10.1.0.12']]);
    const b1 = await instance('b1', [[subnetB, '10.1.0.21']]);
    const b2 = await instance('b2', [[subnetB, '10.1.0.22']]);
    const b3 = await instance('b3', [[subnetB, '10.1.0.23']]);
    const stateOf = (host: OvsHost, ports: PortSpec[], vnis: number[]) => hostState(host.host.name, { networks: [netA, netB], ports, tunnelPeers: peersOf(host, vnis) });
    await applyAll([
      [h1, stateOf(h1, [a1.port, b1.port, b3.port], [101, 102])],
      [h2, stateOf(h2, [a2.port, b2.port], [101, 102])],
    ]);
    for (const member of [a1, a2, b1, b2, b3]) {
      await addFixedAddresses(member);
    }

    expect(await reaches(a1.vm, '10.1.0.12')).toBe(true);
    expect(await reaches(b1.vm, '10.1.0.22')).toBe(true);
    expect(await reaches(b1.vm, '10.1.0.23')).toBe(true);
    expect(await a1.vm.ping('10.1.0.22')).toBe(false);
    expect(await a1.vm.ping('10.1.0.23')).toBe(false);
    expect(await b2.vm.ping('10.1.0.11')).toBe(false);
    const [tagA, tagB] = [await tagOf(h1, tapOf(a1.port)), await tagOf(h1, tapOf(b1.port))];
    expect(tagA).not.toBe(tagB);
    expect(await tagOf(h1, tapOf(b3.port))).toBe(tagB);

    // h2 no longer has VNI 102: h1 stops sending it there, so b1 loses b2 while a1 keeps a2.
    await applyAll([[h1, stateOf(h1, [a1.port, b1.port, b3.port], [101])]]);
    const tunnelFlows = (await flowsOf(h1, 'br-tun')).join('\n');
    expect(tunnelFlows).toContain('set_field:0x65->tun_id');
    expect(tunnelFlows).not.toContain('0x66');
    expect(await b1.vm.ping('10.1.0.22')).toBe(false);
    expect(await reaches(a1.vm, '10.1.0.12')).toBe(true);

    await applyAll([[h1, stateOf(h1, [{ ...a1.port, adminStateUp: false }, b1.port, b3.port], [101])]]);
    expect(await tagOf(h1, tapOf(a1.port))).toBe('4095');
    expect(await a1.vm.ping('10.1.0.12')).toBe(false);
  }, TEST_TIMEOUT_MS);

  it('carries flat and VLAN networks on the physical network, each apart from the others, and plugs taps for hypervisors', async () => {
    const flat = flatNetwork(EXTERNAL_PHYSNET);
    const vlan100 = vlanNetwork(100);
    const vlan101 = vlanNetwork(101);
    // The same addresses on every network: only the tags on the wire keep them apart.
    const [flatSubnet, subnet100, subnet101] = [flat, vlan100, vlan101].map((network) => subnetOf(network, '10.7.0.0/24', null));
    const f1 = await instance('f1', [[flatSubnet, '10.7.0.11']]);
    const f2 = await instance('f2', [[flatSubnet, '10.7.0.12']]);
    const v1 = await instance('v1', [[subnet100, '10.7.0.21']]);
    const v2 = await instance('v2', [[subnet100, '10.7.0.22']]);
    const w2 = await instance('w2', [[subnet101, '10.7.0.21']]);
    const tap = portOn(subnet100, '10.7.0.31');
    await applyAll([
      [h1, hostState('h1', { networks: [flat, vlan100], ports: [f1.port, v1.port, tap] })],
      [h2, hostState('h2', { networks: [flat, vlan100, vlan101], ports: [f2.port, v2.port, w2.port] })],
    ]);
    for (const member of [f1, f2, v1, v2, w2]) {
      await addFixedAddresses(member);
    }

    expect(await reaches(f1.vm, '10.7.0.12')).toBe(true);
    expect(await reaches(v1.vm, '10.7.0.22')).toBe(true);
    expect(await f1.vm.ping('10.7.0.22')).toBe(false);
    expect(await w2.vm.ping('10.7.0.22')).toBe(false);
    expect(await v1.vm.ping('10.7.0.12')).toBe(false);

    const tapLink = (await listLinks(hostCommands(h1.host))).find(({ name }) => name === tapOf(tap));
    expect(tapLink).toMatchObject({ kind: 'tun', mtu: 1500, up: true });
    expect(await tagOf(h1, tapOf(tap))).toBe(await tagOf(h1, tapOf(v1.port)));
  }, TEST_TIMEOUT_MS);

  it('filters by security group: default-deny ingress, rules added and removed, remote groups and prefixes, TCP port ranges, IPv6, anti-spoofing', async () => {
    const net = vxlanNetwork(401);
    const subnet = subnetOf(net, '10.4.0.0/24', null);
    const subnet6 = subnetOf(net, '2001:db8:4::/64', null, { ipVersion: 6 });
    const web: SecurityGroupSpec = { id: randomUUID(), rules: [rule('egress')], memberIps: ['10.4.0.11'] };
    const shared = defaultGroup(['10.4.0.12', '10.4.0.13', '2001:db8:4::12', '2001:db8:4::13']);
    const silent: SecurityGroupSpec = { id: randomUUID(), rules: [], memberIps: ['10.4.0.15'] };
    const secured = (group: SecurityGroupSpec) => ({ portSecurityEnabled: true, securityGroupIds: [group.id] });
    const s1 = await instance('s1', [[subnet, '10.4.0.11']], secured(web));
    const s2 = await instance('s2', [[subnet, '10.4.0.12'], [subnet6, '2001:db8:4::12']], secured(shared));
    const s3 = await instance('s3', [[subnet, '10.4.0.13'], [subnet6, '2001:db8:4::13']], secured(shared));
    const open = await instance('open', [[subnet, '10.4.0.14'], [subnet6, '2001:db8:4::14']]);
    const mute = await instance('mute', [[subnet, '10.4.0.15']], secured(silent));
    const apply = (webRules: SecurityGroupSpec['rules'], s1Pairs: PortSpec['allowedAddressPairs'] = []) => {
      const groups = [{ ...web, rules: webRules }, shared, silent];
      return applyAll([
        [h1, hostState('h1', { networks: [net], ports: [{ ...s1.port, allowedAddressPairs: s1Pairs }, s3.port], securityGroups: groups, tunnelPeers: peersOf(h1, [401]) })],
        [h2, hostState('h2', { networks: [net], ports: [s2.port, open.port, mute.port], securityGroups: groups, tunnelPeers: peersOf(h2, [401]) })],
      ]);
    };
    await apply(web.rules);
    for (const member of [s1, s2, s3, open, mute]) {
      await addFixedAddresses(member);
    }

    // Egress by rule, with the replies let in by conntrack; none without an egress rule.
    expect(await reaches(s1.vm, '10.4.0.14')).toBe(true);
    expect(await mute.vm.ping('10.4.0.14')).toBe(false);
    // Ingress: denied by default, even from an unfiltered port.
    expect(await open.vm.ping('10.4.0.11')).toBe(false);
    // The remote-group rule lets members in, across hosts, and only members.
    expect(await reaches(s2.vm, '10.4.0.13')).toBe(true);
    expect(await reaches(s3.vm, '10.4.0.12')).toBe(true);
    expect(await s1.vm.ping('10.4.0.13')).toBe(false);
    // The same in IPv6, neighbour discovery included.
    expect(await reaches(s2.vm, '2001:db8:4::13')).toBe(true);
    expect(await reaches(s2.vm, '2001:db8:4::14')).toBe(true);
    expect(await open.vm.ping('2001:db8:4::12')).toBe(false);

    // A rule admits ping, from another host and from the same host; without it, ping stops again.
    await apply([...web.rules, rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.4.0.0/24' })]);
    expect(await reaches(open.vm, '10.4.0.11')).toBe(true);
    expect(await reaches(s3.vm, '10.4.0.11')).toBe(true);
    const zone = (await h1.ovs.vsctl('get', 'Interface', tapOf(s1.port), 'ofport')).trim();
    expect(await h1.ovs.appctl('dpctl/dump-conntrack', `zone=${zone}`)).toContain('icmp');
    await apply(web.rules);
    // The connections the rule admitted go with it.
    expect(await h1.ovs.appctl('dpctl/dump-conntrack', `zone=${zone}`)).toBe('');
    expect(await open.vm.ping('10.4.0.11')).toBe(false);
    expect(await s3.vm.ping('10.4.0.11')).toBe(false);

    // A remote prefix admits that prefix only.
    await apply([...web.rules, rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.4.0.14/32' })]);
    expect(await reaches(open.vm, '10.4.0.11')).toBe(true);
    expect(await s3.vm.ping('10.4.0.11')).toBe(false);

    // TCP to the ports of the range only.
    serveTcp(s1.vm, 8080);
    serveTcp(s1.vm, 9090);
    await apply([...web.rules, rule('ingress', { protocol: 'tcp', portRangeMin: 8000, portRangeMax: 8080 })]);
    expect(await eventually(() => connects(open.vm, '10.4.0.11', 8080), (ok) => ok, REACH_MS)).toBe(true);
    expect(await connects(open.vm, '10.4.0.11', 9090)).toBe(false);

    // A source address that is not the port's is dropped, until it is an allowed address pair.
    await s1.vm.addAddress('10.4.0.99/24');
    expect(await s1.vm.ping('10.4.0.14', '10.4.0.99')).toBe(false);
    await apply(web.rules, [{ ipAddress: '10.4.0.99', macAddress: s1.port.macAddress }]);
    expect(await reaches(s1.vm, '10.4.0.14', '10.4.0.99')).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('lets broadcasts and multicasts into a filtered port only through its firewall', async () => {
    const net = vxlanNetwork(402);
    const subnet = subnetOf(net, '10.8.0.0/24', null);
    const group: SecurityGroupSpec = { id: randomUUID(), rules: [rule('egress')], memberIps: [] };
    const pingIn = rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.8.0.13/32' });
    const guarded = await instance('mc1', [[subnet, '10.8.0.11']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    const control = await instance('mc2', [[subnet, '10.8.0.12']]);
    const sender = await instance('mc3', [[subnet, '10.8.0.13']]);
    const apply = (rules: SecurityGroupSpec['rules']) =>
      applyAll([
        [h1, hostState('h1', { networks: [net], ports: [guarded.port, control.port], securityGroups: [{ ...group, rules }], tunnelPeers: peersOf(h1, [402]) })],
        [h2, hostState('h2', { networks: [net], ports: [sender.port], tunnelPeers: peersOf(h2, [402]) })],
      ]);
    await apply([...group.rules, pingIn]);
    for (const member of [guarded, control, sender]) {
      await addFixedAddresses(member);
    }
    for (const { vm } of [guarded, control]) {
      await vm.run('sysctl', ['-q', '-w', 'net.ipv4.icmp_echo_ignore_broadcasts=0']);
    }
    await sender.vm.run('ip', ['route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
    // Echo requests to all-hosts (224.0.0.1); what a receiver got, its kernel counts (the firewall drops its answers, which do not match the request).
    const counts = () => Promise.all([guarded, control].map(({ vm }) => echoRequestsReceived(vm)));
    const untilBothGot = async (before: number[], wanted: boolean[]) =>
      eventually(
        async () => {
          await sender.vm.ping('224.0.0.1');
          return counts();
        },
        (now) => now.every((count, i) => !wanted[i] || count > before[i]),
        REACH_MS,
      );

    const start = await counts();
    const admitted = await untilBothGot(start, [true, true]);
    expect(admitted.map((count, i) => count > start[i])).toEqual([true, true]);
    await apply(group.rules);
    const refused = await untilBothGot(admitted, [false, true]);
    expect(refused.map((count, i) => count > admitted[i])).toEqual([false, true]);
  }, TEST_TIMEOUT_MS);

  it('serves each port its fixed address by DHCP from a namespace on an internal port, across the tunnel and the firewall', async () => {
    const net = vxlanNetwork(201);
    const subnet = subnetOf(net, '10.2.0.0/24', '10.2.0.1');
    const server = portOn(subnet, '10.2.0.2');
    const group = defaultGroup();
    const client = await instance('dhcp1', [[subnet, '10.2.0.11']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    await applyAll([
      [h1, hostState('h1', { networks: [net], dhcp: [{ network: net, port: server, subnets: [subnet], hosts: [server, client.port].map(dhcpHost) }], tunnelPeers: peersOf(h1, [201]) })],
      [h2, hostState('h2', { networks: [net], ports: [client.port], securityGroups: [group], tunnelPeers: peersOf(h2, [201]) })],
    ]);

    expect(await client.vm.lease()).toEqual({ ip: '10.2.0.11', mask: '24', router: '10.2.0.1', mtu: '1450' });
    const leg = `ns-${server.id.slice(0, 11)}`;
    expect(await h1.ovs.vsctl('get', 'Interface', leg, 'type')).toBe('internal\n');
    expect(await tagOf(h1, leg)).toMatch(/^\d+$/);
  }, TEST_TIMEOUT_MS);

  it('routes an instance out through SNAT to the gateway address, and reaches it from outside by a floating IP', async () => {
    const net = vxlanNetwork(301);
    const subnet = subnetOf(net, '10.3.0.0/24', '10.3.0.1');
    const external = flatNetwork(EXTERNAL_PHYSNET);
    const externalSubnet = subnetOf(external, EXTERNAL_CIDR, EXTERNAL_GATEWAY_IP, { enableDhcp: false });
    const gatewayIp = '10.99.0.10';
    const floatingIp = '10.99.0.20';
    const routerId = randomUUID();
    const routerPort = portOn(subnet, '10.3.0.1');
    const gatewayPort = portOn(externalSubnet, gatewayIp);
    const dhcpPort = portOn(subnet, '10.3.0.2');
    const group = defaultGroup();
    group.rules.push(rule('ingress', { protocol: 'icmp' }));
    // The instance is on h2, the router on h1: its traffic crosses the tunnel to the router.
    const { vm, port } = await instance('r1', [[subnet, '10.3.0.11']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    const networkNode = (enableSnat: boolean, floatingIps: RouterSpec['floatingIps']) =>
      hostState('h1', {
        networks: [net, external],
        dhcp: [{ network: net, port: dhcpPort, subnets: [subnet], hosts: [dhcpPort, port].map(dhcpHost) }],
        routers: [
          {
            id: routerId,
            adminStateUp: true,
            interfaces: [{ network: net, port: routerPort, subnets: [subnet] }],
            gateway: { network: external, port: gatewayPort, subnets: [externalSubnet], enableSnat },
            routes: [],
            floatingIps,
          },
        ],
        tunnelPeers: peersOf(h1, [301]),
      });
    await applyAll([
      [h1, networkNode(true, [])],
      [h2, hostState('h2', { networks: [net], ports: [port], securityGroups: [group], tunnelPeers: peersOf(h2, [301]) })],
    ]);
    // The lease brings the default route via the router.
    await vm.lease();

    // The external side has no route back to 10.3.0.0/24 and takes pings from the gateway address only.
    await lab.external.acceptPingsOnlyFrom([gatewayIp]);
    expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
    await applyAll([[h1, networkNode(false, [])]]);
    expect(await vm.ping(EXTERNAL_GATEWAY_IP)).toBe(false);

    await applyAll([[h1, networkNode(false, [{ id: randomUUID(), floatingIpAddress: floatingIp, fixedIpAddress: '10.3.0.11' }])]]);
    expect(await reaches(lab.external, floatingIp)).toBe(true);
    // With a floating IP the instance goes out from that address, SNAT or not.
    await lab.external.acceptPingsOnlyFrom([floatingIp]);
    expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('reconciles: a restarted driver keeps the local VLANs and flows, a smaller state removes the rest, removeAll leaves nothing of ours', async () => {
    const kept = vxlanNetwork(501);
    const dropped = vxlanNetwork(502);
    const keptSubnet = subnetOf(kept, '10.5.0.0/24', '10.5.0.1');
    const droppedSubnet = subnetOf(dropped, '10.6.0.0/24', '10.6.0.1');
    const group = defaultGroup(['10.6.0.11']);
    const stays = await instance('stays', [[keptSubnet, '10.5.0.11']]);
    const goes = await instance('goes', [[droppedSubnet, '10.6.0.11']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    const dhcpPort = portOn(droppedSubnet, '10.6.0.2');
    const full = hostState('h1', {
      networks: [kept, dropped],
      ports: [stays.port, goes.port],
      dhcp: [{ network: dropped, port: dhcpPort, subnets: [droppedSubnet], hosts: [goes.port].map(dhcpHost) }],
      routers: [{ id: randomUUID(), adminStateUp: true, interfaces: [{ network: dropped, port: portOn(droppedSubnet, '10.6.0.1'), subnets: [droppedSubnet] }], routes: [], floatingIps: [] }],
      securityGroups: [group],
      tunnelPeers: peersOf(h1, [501, 502]),
    });
    const smaller = hostState('h1', { networks: [kept], ports: [stays.port] });
    await applyAll([[h1, full]]);
    const pid = await readPidFile(dnsmasqFiles(h1.settings.stateDirectory, dropped.networkId).pidFile);
    expect(pid).toBeDefined();
    const tags = [await tagOf(h1, tapOf(stays.port)), await tagOf(h1, tapOf(goes.port))];
    const flows = await flowsOf(h1, 'br-int');
    expect(flows.filter((line) => line.includes('ct(commit'))).not.toEqual([]);

    // A new driver on the same host (the agent restarted) finds everything in place and changes nothing.
    const restarted = new OvsDriver(h1.settings);
    const again = await restarted.apply(full);
    expect(again.failedPorts).toEqual([]);
    expect(again.wiredPorts).toEqual(expect.arrayContaining([stays.port.id, goes.port.id, dhcpPort.id]));
    expect([await tagOf(h1, tapOf(stays.port)), await tagOf(h1, tapOf(goes.port))]).toEqual(tags);
    expect(await flowsOf(h1, 'br-int')).toEqual(flows);
    expect(await readPidFile(dnsmasqFiles(h1.settings.stateDirectory, dropped.networkId).pidFile)).toBe(pid);

    // Concurrent calls run one after the other, in order: the smaller state is what remains.
    await Promise.all([restarted.apply(full), restarted.apply(smaller)]);
    const after = await ownedOnHost(h1);
    expect(after.ports.sort()).toEqual([tapOf(stays.port), 'patch-tun', 'int-br-physnet1'].sort());
    expect(after.links).toEqual([tapOf(stays.port)]);
    expect(after.namespaces).toEqual([]);
    expect(after.tunnelFlows.filter((line) => line.includes('tun_id'))).toEqual([]);
    expect(after.intFlows.filter((line) => line.includes('ct('))).toEqual([]);
    expect(await lab.processes()).toEqual([]);

    await restarted.removeAll();
    expect(await ownedOnHost(h1)).toEqual({ bridges: ['br-ul'], ports: [], links: [], namespaces: [], intFlows: [], tunnelFlows: [] });
  }, TEST_TIMEOUT_MS);
});

/** What of ours a host holds: OVS bridges and br-int's ports, tap devices, namespaces, and flows. */
async function ownedOnHost(host: OvsHost): Promise<Record<'bridges' | 'ports' | 'links' | 'namespaces' | 'intFlows' | 'tunnelFlows', string[]>> {
  const bridges = (await host.ovs.vsctl('list-br')).split('\n').filter((name) => name !== '');
  const onBridge = async (bridge: string, read: () => Promise<string[]>) => (bridges.includes(bridge) ? read() : []);
  return {
    bridges,
    ports: await onBridge('br-int', async () => (await host.ovs.vsctl('list-ports', 'br-int')).split('\n').filter((name) => name !== '')),
    links: (await listLinks(hostCommands(host.host))).map(({ name }) => name).filter((name) => name.startsWith('tap')),
    namespaces: await listNamespaces(hostCommands(host.host), `${host.host.namespace}-`),
    intFlows: await onBridge('br-int', () => flowsOf(host, 'br-int')),
    tunnelFlows: await onBridge('br-tun', () => flowsOf(host, 'br-tun')),
  };
}
