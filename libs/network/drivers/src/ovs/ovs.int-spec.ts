import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type NetworkSegment, type PortSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { eventually, EXTERNAL_PHYSNET, type LabNamespace } from '@overcast/shared/testing';
import { deviceName, listLinks } from '../host/links';
import { listNamespaces } from '../host/namespaces';
import { describeL2DriverCompliance, type OwnedOnHost } from '../l2-driver.compliance';
import { dhcpHost, flatNetwork, hostCommands, hostState, portOn, rule, securedBy, subnetOf, vxlanNetwork } from '../testing/host-state-builders';
import { addFixedAddresses, fileTestbed, HOOK_TIMEOUT_MS, type L2Testbed, REACH_MS, reaches, TEST_TIMEOUT_MS, type WiredHost } from '../testing/l2-testbed';
import { DEAD_VLAN } from './local-vlans';
import { OvsDriver } from './ovs.driver';
import { type OvsInstance, type OvsTestHost, startOvsHost, stopOvsHost, UNDERLAY_BRIDGE } from './testing-ovs';

/**
 * The ovs driver against real Open vSwitch in the userspace datapath, on simulated hosts of the
 * netns lab, each with its own ovsdb-server and ovs-vswitchd: the compliance suite, then what is
 * its own (bridges, local VLANs, flows, conntrack zones, VLAN networks). Needs root and
 * openvswitch-switch, ethtool, dnsmasq-base, iptables, busybox-static, iproute2.
 */

const testbed = fileTestbed<OvsTestHost>({
  setUpHost: startOvsHost,
  driverFor: ({ settings }) => new OvsDriver(settings),
  tearDownHost: stopOvsHost,
});

const lines = (output: string) => output.split('\n').filter((line) => line.trim() !== '');

/** The tag of an OVS port; `[]` when it has none. */
async function tagOf(ovs: OvsInstance, port: string): Promise<string> {
  return (await ovs.vsctl('get', 'Port', port, 'tag')).trim();
}

async function flowsOf(ovs: OvsInstance, bridge: string): Promise<string[]> {
  return lines(await ovs.ofctl('dump-flows', bridge, '--no-stats')).filter((line) => !line.startsWith('OFPST_FLOW'));
}

/** The driver's own on a host: OVS bridges, br-int's ports and their tags, tap devices, namespaces, flows. */
async function ownedOnHost({ host, ovs }: OvsTestHost): Promise<OwnedOnHost> {
  const bridges = lines(await ovs.vsctl('list-br')).sort();
  const onBridge = async (bridge: string, read: () => Promise<string[]>) => (bridges.includes(bridge) ? (await read()).sort() : []);
  const ports = await onBridge('br-int', async () => lines(await ovs.vsctl('list-ports', 'br-int')));
  const intFlows = await onBridge('br-int', () => flowsOf(ovs, 'br-int'));
  return {
    bridges,
    ports,
    tags: await Promise.all(ports.map(async (port) => `${port} tag=${await tagOf(ovs, port)}`)),
    links: (await listLinks(hostCommands(host))).map(({ name }) => name).filter((name) => name.startsWith('tap')).sort(),
    namespaces: (await listNamespaces(hostCommands(host), `${host.namespace}-`)).sort(),
    firewall: intFlows.filter((line) => line.includes('ct(')),
    intFlows,
    tunnelFlows: await onBridge('br-tun', () => flowsOf(ovs, 'br-tun')),
  };
}

describeL2DriverCompliance('ovs, on Open vSwitch in the userspace datapath', {
  testbed,
  networkTypes: ['local', 'flat', 'vlan', 'vxlan'],
  ownedOnHost,
  expectOnlyOnePort: (owned, _network, port) => {
    const tap = deviceName('tap', port.id);
    expect(owned).toMatchObject({ bridges: ['br-int', 'br-physnet1', 'br-tun', UNDERLAY_BRIDGE], ports: [tap, 'int-br-physnet1', 'patch-tun'].sort(), links: [tap], firewall: [] });
    // No peer is left to flood to.
    expect(owned.tunnelFlows.filter((line) => line.includes('tun_id'))).toEqual([]);
  },
  // The operator's underlay bridge was there before the driver.
  nothingOwned: { bridges: [UNDERLAY_BRIDGE], ports: [], tags: [], links: [], namespaces: [], firewall: [], intFlows: [], tunnelFlows: [] },
});

/** How many ICMP echo requests the instance's kernel has received (Icmp InEchos in /proc/net/snmp). */
async function echoRequestsReceived(vm: LabNamespace): Promise<number> {
  const [names, values] = (await vm.run('cat', ['/proc/net/snmp'])).split('\n').filter((line) => line.startsWith('Icmp:'));
  return Number(values?.split(' ')[names?.split(' ').indexOf('InEchos') ?? -1]);
}

/** The conntrack zone of a port on br-int: its OpenFlow port number. */
async function conntrackOf({ ovs }: OvsTestHost, port: PortSpec): Promise<string> {
  const zone = (await ovs.vsctl('get', 'Interface', deviceName('tap', port.id), 'ofport')).trim();
  return ovs.appctl('dpctl/dump-conntrack', `zone=${zone}`);
}

function vlanNetwork(tag: number): NetworkSegment {
  return { ...flatNetwork(EXTERNAL_PHYSNET), networkType: 'vlan', segmentationId: tag };
}

describe('OvsDriver on simulated hosts, each with its own Open vSwitch', () => {
  let bed: L2Testbed<OvsTestHost>;
  let h1: WiredHost<OvsTestHost>;
  let h2: WiredHost<OvsTestHost>;

  beforeAll(async () => {
    bed = await testbed();
    ({ h1, h2 } = bed);
  }, HOOK_TIMEOUT_MS);

  it('makes its bridges in the userspace datapath, closed until its flows say otherwise', async () => {
    for (const bridge of ['br-int', 'br-tun', 'br-physnet1']) {
      expect(await h1.ovs.vsctl('get', 'Bridge', bridge, 'datapath_type', 'fail_mode')).toBe('netdev\nsecure\n');
    }
  });

  it('refuses to start when the tunnel IP is not on an OVS bridge, or when no ovsdb-server answers, saying why', async () => {
    const onLoopback = new OvsDriver({ ...h1.settings, tunnelIp: '127.0.0.1' });
    await expect(onLoopback.start()).rejects.toThrow('the tunnel IP 127.0.0.1 is on lo, which is not an OVS bridge');
    const noOvs = new OvsDriver({ ...h1.settings, ovsdbSocket: join(h1.ovs.directory, 'nothing.sock') });
    await expect(noOvs.start()).rejects.toThrow(/^ovsdb-server does not answer on .*nothing\.sock; start Open vSwitch \(package openvswitch-switch/);
  });

  it('gives each network a local VLAN of its own on br-int, for its ports and its DHCP leg, the dead VLAN to admin-down ports, and tunnels each VNI only to the peers that have it', async () => {
    const netA = vxlanNetwork(601);
    const netB = vxlanNetwork(602);
    const subnetA = subnetOf(netA, '10.11.0.0/24', '10.11.0.1');
    const subnetB = subnetOf(netB, '10.12.0.0/24', '10.12.0.1');
    const a = portOn(subnetA, '10.11.0.11');
    const b1 = portOn(subnetB, '10.12.0.11');
    const b2 = portOn(subnetB, '10.12.0.12');
    const server = portOn(subnetA, '10.11.0.2');
    const stateOf = (ports: PortSpec[], vnis: number[]) =>
      hostState('h1', { networks: [netA, netB], ports, dhcp: [{ network: netA, port: server, subnets: [subnetA], hosts: [server, a].map(dhcpHost) }], tunnelPeers: bed.peersOf(h1, vnis) });
    const tagsOf = (...ports: string[]) => Promise.all(ports.map((port) => tagOf(h1.ovs, port)));
    const [tapA, tapB1, tapB2, leg] = [deviceName('tap', a.id), deviceName('tap', b1.id), deviceName('tap', b2.id), deviceName('ns-', server.id)];
    // The VNIs as the tunnel flows write them.
    const [vniA, vniB] = ['0x259', '0x25a'];
    await bed.applyAll([[h1, stateOf([a, b1, b2], [601, 602])]]);

    const [tagA, tagB] = await tagsOf(tapA, tapB1);
    expect(tagA).toMatch(/^\d+$/);
    expect(tagB).not.toBe(tagA);
    expect(await tagsOf(tapB2, leg)).toEqual([tagB, tagA]);
    expect(await h1.ovs.vsctl('get', 'Interface', leg, 'type')).toBe('internal\n');
    const tunnelFlows = (await flowsOf(h1.ovs, 'br-tun')).join('\n');
    expect(tunnelFlows).toContain(`set_field:${vniA}->tun_id`);
    expect(tunnelFlows).toContain(`set_field:${vniB}->tun_id`);

    // h2 no longer has VNI 602, and a goes administratively down.
    await bed.applyAll([[h1, stateOf([{ ...a, adminStateUp: false }, b1, b2], [601])]]);
    expect(await tagsOf(tapA, tapB1, leg)).toEqual([String(DEAD_VLAN), tagB, tagA]);
    const fewerTunnelFlows = (await flowsOf(h1.ovs, 'br-tun')).join('\n');
    expect(fewerTunnelFlows).toContain(`set_field:${vniA}->tun_id`);
    expect(fewerTunnelFlows).not.toContain(vniB);
  });

  it('carries flat and VLAN networks on the physical network, each apart from the others, and plugs taps for hypervisors', async () => {
    const flat = flatNetwork(EXTERNAL_PHYSNET);
    const vlan100 = vlanNetwork(100);
    const vlan101 = vlanNetwork(101);
    // The same addresses on every network: only the tags on the wire keep them apart.
    const [flatSubnet, subnet100, subnet101] = [flat, vlan100, vlan101].map((network) => subnetOf(network, '10.7.0.0/24', null));
    const f1 = await bed.instance('f1', [[flatSubnet, '10.7.0.11']]);
    const f2 = await bed.instance('f2', [[flatSubnet, '10.7.0.12']]);
    const v1 = await bed.instance('v1', [[subnet100, '10.7.0.21']]);
    const v2 = await bed.instance('v2', [[subnet100, '10.7.0.22']]);
    const w2 = await bed.instance('w2', [[subnet101, '10.7.0.21']]);
    const tap = portOn(subnet100, '10.7.0.31');
    await bed.applyAll([
      [h1, hostState('h1', { networks: [flat, vlan100], ports: [f1.port, v1.port, tap] })],
      [h2, hostState('h2', { networks: [flat, vlan100, vlan101], ports: [f2.port, v2.port, w2.port] })],
    ]);
    await addFixedAddresses(f1, f2, v1, v2, w2);

    expect(await Promise.all([reaches(f1.vm, '10.7.0.12'), reaches(v1.vm, '10.7.0.22')])).toEqual([true, true]);
    expect(await Promise.all([f1.vm.ping('10.7.0.22'), w2.vm.ping('10.7.0.22'), v1.vm.ping('10.7.0.12')])).toEqual([false, false, false]);

    const tapLink = (await listLinks(hostCommands(h1.host))).find(({ name }) => name === deviceName('tap', tap.id));
    expect(tapLink).toMatchObject({ kind: 'tun', mtu: 1500, up: true });
    expect(await tagOf(h1.ovs, deviceName('tap', tap.id))).toBe(await tagOf(h1.ovs, deviceName('tap', v1.port.id)));
  }, TEST_TIMEOUT_MS);

  it('lets broadcasts and multicasts into a filtered port only through its firewall, and forgets the connections a removed rule admitted', async () => {
    const net = vxlanNetwork(402);
    const subnet = subnetOf(net, '10.8.0.0/24', null);
    const group: SecurityGroupSpec = { id: randomUUID(), rules: [rule('egress')], memberIps: [] };
    const pingIn = rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.8.0.13/32' });
    const guarded = await bed.instance('mc1', [[subnet, '10.8.0.11']], securedBy(group));
    const control = await bed.instance('mc2', [[subnet, '10.8.0.12']]);
    const sender = await bed.instance('mc3', [[subnet, '10.8.0.13']]);
    const apply = (rules: SecurityGroupSpec['rules']) =>
      bed.applyAll([
        [h1, hostState('h1', { networks: [net], ports: [guarded.port, control.port], securityGroups: [{ ...group, rules }], tunnelPeers: bed.peersOf(h1, [402]) })],
        [h2, hostState('h2', { networks: [net], ports: [sender.port], tunnelPeers: bed.peersOf(h2, [402]) })],
      ]);
    await apply([...group.rules, pingIn]);
    await addFixedAddresses(guarded, control, sender);
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

    // The rule's connections are tracked in the port's own zone.
    expect(await reaches(sender.vm, '10.8.0.11')).toBe(true);
    expect(await conntrackOf(h1, guarded.port)).toContain('icmp');
    const start = await counts();
    const admitted = await untilBothGot(start, [true, true]);
    expect(admitted.map((count, i) => count > start[i])).toEqual([true, true]);

    await apply(group.rules);
    expect(await conntrackOf(h1, guarded.port)).toBe('');
    expect(await sender.vm.ping('10.8.0.11')).toBe(false);
    const refused = await untilBothGot(admitted, [false, true]);
    expect(refused.map((count, i) => count > admitted[i])).toEqual([false, true]);
  }, TEST_TIMEOUT_MS);
});
