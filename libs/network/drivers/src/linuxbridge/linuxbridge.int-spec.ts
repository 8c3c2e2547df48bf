import { type NetworkSegment } from '@overcast/network/contracts';
import { EXTERNAL_PHYSNET } from '@overcast/shared/testing';
import { deviceName, listLinks } from '../host/links';
import { listNamespaces } from '../host/namespaces';
import { describeL2DriverCompliance, type OwnedOnHost } from '../l2-driver.compliance';
import { flatNetwork, hostCommands, hostState, portOn, subnetOf, vxlanNetwork } from '../testing/host-state-builders';
import { addFixedAddresses, fileTestbed, HOOK_TIMEOUT_MS, type L2Testbed, type L2TestHost, reaches } from '../testing/l2-testbed';
import { LinuxBridgeDriver } from './linuxbridge.driver';

/**
 * The linuxbridge driver on simulated hosts of the netns lab: the compliance suite, then what is
 * its own (VLAN on this kernel, the VXLAN devices' flood entries, the bridge per network). Needs
 * root and busybox-static, dnsmasq-base, iptables, ipset, iproute2.
 */

const testbed = fileTestbed<L2TestHost>({
  setUpHost: async (lab, name) => ({ host: await lab.addHost(name) }),
  driverFor: ({ host }) => new LinuxBridgeDriver(host.settings),
});

/** The driver's own on a host: bridges, VXLAN devices, taps, namespaces, iptables chains and FORWARD hooks (IPv4 and IPv6), ipsets. */
async function ownedOnHost({ host }: L2TestHost): Promise<OwnedOnHost> {
  const commands = hostCommands(host);
  const ours = (line: string) => line.startsWith('-N oclb') || line.includes('-j oclb-FORWARD');
  const rulesOf = async (tool: string) => (await commands.run(tool, ['-S'])).split('\n').filter(ours).map((line) => `${tool} ${line}`);
  const sets = (await commands.run('ipset', ['list', '-n'])).split('\n').filter((name) => name !== '');
  return {
    links: (await listLinks(commands)).map(({ name }) => name).filter((name) => /^(brq|vxlan-|tap)/.test(name)).sort(),
    namespaces: (await listNamespaces(commands, `${host.namespace}-`)).sort(),
    firewall: [...(await rulesOf('iptables')), ...(await rulesOf('ip6tables')), ...sets.map((set) => `ipset ${set}`)].sort(),
  };
}

/** The chains that stay once the driver has filtered a port, and their hooks: nothing of any port's own. */
const FIREWALL_WITHOUT_PORTS = ['iptables', 'ip6tables'].flatMap((tool) => ['-A FORWARD -j oclb-FORWARD', '-N oclb-FORWARD', '-N oclb-sg-chain', '-N oclb-sg-fallback'].map((line) => `${tool} ${line}`)).sort();

describeL2DriverCompliance('linuxbridge, on simulated hosts', {
  testbed,
  // This kernel has no 802.1q module, so no VLAN networks (the driver's own test below).
  networkTypes: ['local', 'flat', 'vxlan'],
  ownedOnHost,
  expectOnlyOnePort: (owned, network, port) => {
    expect(owned).toEqual({
      links: [deviceName('brq', network.networkId), deviceName('tap', port.id), `vxlan-${String(network.segmentationId)}`].sort(),
      namespaces: [],
      firewall: FIREWALL_WITHOUT_PORTS,
    });
  },
  nothingOwned: { links: [], namespaces: [], firewall: [] },
});

describe('LinuxBridgeDriver on simulated hosts', () => {
  let bed: L2Testbed<L2TestHost>;

  beforeAll(async () => {
    bed = await testbed();
  }, HOOK_TIMEOUT_MS);

  const linksOf = ({ host }: L2TestHost) => listLinks(hostCommands(host));

  it('reports no VLAN networks on this kernel, with the probe as the reason, and fails VLAN ports instead of half-wiring them', async () => {
    expect(bed.capabilities.notes.join('\n')).toMatch(/802\.1q/);

    const vlan: NetworkSegment = { ...flatNetwork(EXTERNAL_PHYSNET), networkType: 'vlan', segmentationId: 100 };
    const port = portOn(subnetOf(vlan, '10.9.0.0/24', null), '10.9.0.5');
    const result = await bed.h1.driver.apply(hostState('h1', { networks: [vlan], ports: [port] }));
    expect(result).toEqual({ wiredPorts: [], failedPorts: [{ portId: port.id, reason: expect.stringMatching(/VLAN networks cannot be wired.*802\.1q/) as string }] });
    const names = (await linksOf(bed.h1)).map(({ name }) => name);
    expect(names).not.toContain(deviceName('brq', vlan.networkId));
    expect(names).not.toContain(deviceName('tap', port.id));
  });

  it("puts each network's ports on a bridge of its own, floods each VNI only to the peers that have it, and downs the tap of an admin-down port", async () => {
    const netA = vxlanNetwork(601);
    const netB = vxlanNetwork(602);
    const portA = portOn(subnetOf(netA, '10.11.0.0/24', null), '10.11.0.11');
    const portB = portOn(subnetOf(netB, '10.12.0.0/24', null), '10.12.0.11');
    const floodsTo = async (vni: number) => (await hostCommands(bed.h1.host).run('bridge', ['fdb', 'show', 'dev', `vxlan-${vni}`])).match(/^00:00:00:00:00:00 dst \S+/gm) ?? [];
    const toH2 = [`00:00:00:00:00:00 dst ${bed.h2.host.tunnelIp}`];
    await bed.applyAll([[bed.h1, hostState('h1', { networks: [netA, netB], ports: [portA, portB], tunnelPeers: bed.peersOf(bed.h1, [601, 602]) })]]);
    expect([await floodsTo(601), await floodsTo(602)]).toEqual([toH2, toH2]);
    expect((await linksOf(bed.h1)).find(({ name }) => name === deviceName('tap', portA.id))).toMatchObject({ master: deviceName('brq', netA.networkId), mtu: 1450, up: true });

    await bed.applyAll([[bed.h1, hostState('h1', { networks: [netA, netB], ports: [{ ...portA, adminStateUp: false }, portB], tunnelPeers: bed.peersOf(bed.h1, [601]) })]]);
    expect([await floodsTo(601), await floodsTo(602)]).toEqual([toH2, []]);
    expect((await linksOf(bed.h1)).find(({ name }) => name === deviceName('tap', portA.id))).toMatchObject({ up: false });
  });

  it('carries a VXLAN network on a multicast group when one is configured: no flood list, MACs learned', async () => {
    const group = '239.1.1.1';
    const net = vxlanNetwork(701);
    const subnet = subnetOf(net, '10.71.0.0/24', null);
    const a = await bed.instance('mca', [[subnet, '10.71.0.11']]);
    const b = await bed.instance('mcb', [[subnet, '10.71.0.12']]);
    // Two more hosts, each wired by a driver told to use the group: h1 and h2 keep their unicast state.
    const hosts = [await bed.addHost('m1'), await bed.addHost('m2')];
    for (const [{ host }, instance] of [[hosts[0], a], [hosts[1], b]] as const) {
      const driver = new LinuxBridgeDriver({ ...host.settings, vxlanGroup: group });
      await driver.start();
      expect((await driver.apply(hostState(host.name, { networks: [net], ports: [instance.port] }))).failedPorts).toEqual([]);
    }
    await addFixedAddresses(a, b);
    expect(await reaches(a.vm, '10.71.0.12')).toBe(true);
    const entries = await hostCommands(hosts[0]?.host ?? bed.h1.host).run('bridge', ['fdb', 'show', 'dev', 'vxlan-701']);
    expect(entries).toMatch(new RegExp(`^00:00:00:00:00:00 dst ${group.replace(/\./g, '\\.')} `, 'm'));
    // What it learned: b's MAC behind m2's tunnel address.
    expect(entries.toLowerCase()).toContain(`${b.port.macAddress} dst ${hosts[1]?.host.tunnelIp ?? ''}`);
  });

  it("leaves alone a tap named like a port's that another user of the host put on a bridge of its own", async () => {
    const commands = hostCommands(bed.h1.host);
    const foreignTap = deviceName('tap', 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff');
    await commands.run('ip', ['link', 'add', 'foreignbr', 'type', 'bridge']);
    await commands.run('ip', ['tuntap', 'add', 'dev', foreignTap, 'mode', 'tap']);
    await commands.run('ip', ['link', 'set', foreignTap, 'master', 'foreignbr']);
    try {
      await bed.applyAll([[bed.h1, hostState('h1', { networks: [], ports: [] })]]);
      expect((await linksOf(bed.h1)).find(({ name }) => name === foreignTap)).toMatchObject({ master: 'foreignbr' });
    } finally {
      await commands.run('ip', ['link', 'delete', foreignTap]);
      await commands.run('ip', ['link', 'delete', 'foreignbr']);
    }
  });
});
