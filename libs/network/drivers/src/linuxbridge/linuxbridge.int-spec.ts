import { randomUUID } from 'node:crypto';
import { type HostState, type NetworkSegment, type PortSpec, type RouterSpec, type SecurityGroupSpec, type SubnetSpec } from '@overcast/network/contracts';
import { dnsmasqFiles } from '../dhcp/dnsmasq-config';
import { listLinks } from '../host/links';
import { listNamespaces } from '../host/namespaces';
import { readPidFile, runningCommandLine } from '../host/processes';
import { dhcpHost, hostCommands, flatNetwork, hostState, portOn, rule, subnetOf, vxlanNetwork } from '../testing/host-state-builders';
import { eventually, EXTERNAL_CIDR, EXTERNAL_GATEWAY_IP, EXTERNAL_PHYSNET, type LabNamespace, NetnsLab, type SimulatedHost } from '@overcast/shared/testing';
import { LinuxBridgeDriver } from './linuxbridge.driver';

/** Set-up and tear-down run many commands in many namespaces. */
const HOOK_TIMEOUT_MS = 60_000;
/** A data-plane test applies states and pings a lot (each ping that must fail waits a second). */
const TEST_TIMEOUT_MS = 60_000;
/** How long traffic may take to flow after an apply (bridge learning, neighbour discovery). */
const REACH_MS = 10_000;

let lab: NetnsLab;
let h1: SimulatedHost;
let h2: SimulatedHost;
let d1: LinuxBridgeDriver;
let d2: LinuxBridgeDriver;

beforeAll(async () => {
  lab = await NetnsLab.create();
  h1 = await lab.addHost('h1');
  h2 = await lab.addHost('h2');
  d1 = new LinuxBridgeDriver(h1.settings);
  d2 = new LinuxBridgeDriver(h2.settings);
  await Promise.all([d1.start(), d2.start()]);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.allSettled([d1?.removeAll(), d2?.removeAll()]);
  await lab?.close();
}, HOOK_TIMEOUT_MS);

/** Pings until one gets through (or REACH_MS passes). */
function reaches(from: LabNamespace, address: string, source?: string): Promise<boolean> {
  return eventually(() => from.ping(address, source), (ok) => ok, REACH_MS);
}

/** A host's tunnel peers: the other host, with the VNIs given. */
function peersOf(host: SimulatedHost, vnis: number[]): HostState['tunnelPeers'] {
  return [h1, h2].filter((other) => other !== host).map((other) => ({ host: other.name, ip: other.tunnelIp, segmentationIds: vnis }));
}

/** Applies each host's state in turn and expects every port to be wired. */
async function applyAll(states: [LinuxBridgeDriver, HostState][]): Promise<void> {
  for (const [driver, state] of states) {
    expect((await driver.apply(state)).failedPorts).toEqual([]);
  }
}

/** An instance namespace and its port (a veth into it) with the fixed IPs given, one per subnet. */
async function instance(name: string, addresses: [SubnetSpec, string][], options: Partial<PortSpec> = {}): Promise<{ vm: LabNamespace; port: PortSpec }> {
  const vm = await lab.addInstance(name);
  const [[subnet, ip], ...more] = addresses as [[SubnetSpec, string], ...[SubnetSpec, string][]];
  const port = portOn(subnet, ip, { namespace: vm.namespace, ...options });
  port.fixedIps.push(...more.map(([{ id }, ipAddress]) => ({ subnetId: id, ipAddress })));
  return { vm, port };
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

const tapOf = (port: PortSpec) => `tap${port.id.slice(0, 11)}`;

describe('LinuxBridgeDriver on simulated hosts', () => {
  it('reports no VLAN networks on this kernel, with the probe as the reason, and fails VLAN ports instead of half-wiring them', async () => {
    const capabilities = await d1.start();
    expect(capabilities.networkTypes).toEqual(expect.arrayContaining(['flat', 'vxlan', 'local']));
    expect(capabilities.networkTypes).not.toContain('vlan');
    expect(capabilities.notes.join('\n')).toMatch(/802\.1q/);

    const vlan: NetworkSegment = { ...flatNetwork(EXTERNAL_PHYSNET), networkType: 'vlan', segmentationId: 100 };
    const port = portOn(subnetOf(vlan, '10.9.0.0/24', null), '10.9.0.5');
    const result = await d1.apply(hostState('h1', { networks: [vlan], ports: [port] }));
    expect(result).toEqual({ wiredPorts: [], failedPorts: [{ portId: port.id, reason: expect.stringMatching(/VLAN networks cannot be wired.*802\.1q/) as string }] });
    const names = (await listLinks(hostCommands(h1))).map(({ name }) => name);
    expect(names).not.toContain(`brq${vlan.networkId.slice(0, 11)}`);
    expect(names).not.toContain(tapOf(port));
  });

  it("joins one VXLAN network across two hosts, keeps another tenant's VNI apart, floods only to peers with the VNI, and downs admin-down ports", async () => {
    const netA = vxlanNetwork(101);
    const netB = vxlanNetwork(102);
    // Both tenants use the same addresses: only the VNI keeps them apart.
    const subnetA = subnetOf(netA, '10.1.0.0/24', null);
    const subnetB = subnetOf(netB, '10.1.0.0/24', null);
    const a1 = await instance('a1', [[subnetA, '10.1.0.11']]);
    const a2 = await instance('a2', [[subnetA, '10.1.0.12']]);
    const b1 = await instance('b1', [[subnetB, '10.1.0.21']]);
    const b2 = await instance('b2', [[subnetB, '10.1.0.22']]);
    const stateOf = (host: SimulatedHost, ports: PortSpec[], vnis: number[]) => hostState(host.name, { networks: [netA, netB], ports, tunnelPeers: peersOf(host, vnis) });
    await applyAll([
      [d1, stateOf(h1, [a1.port, b1.port], [101, 102])],
      [d2, stateOf(h2, [a2.port, b2.port], [101, 102])],
    ]);
    for (const { vm, port } of [a1, a2, b1, b2]) {
      await vm.addAddress(`${port.fixedIps[0]?.ipAddress ?? ''}/24`);
    }

    expect(await reaches(a1.vm, '10.1.0.12')).toBe(true);
    expect(await reaches(b1.vm, '10.1.0.22')).toBe(true);
    expect(await a1.vm.ping('10.1.0.22')).toBe(false);
    expect(await b2.vm.ping('10.1.0.11')).toBe(false);
    const tap = (await listLinks(hostCommands(h1))).find(({ name }) => name === tapOf(a1.port));
    expect(tap).toMatchObject({ master: `brq${netA.networkId.slice(0, 11)}`, mtu: 1450, up: true });

    // h2 no longer has VNI 102: h1 stops sending it there, so b1 loses b2 while a1 keeps a2.
    await applyAll([[d1, stateOf(h1, [a1.port, b1.port], [101])]]);
    expect(await hostCommands(h1).run('bridge', ['fdb', 'show', 'dev', 'vxlan-102'])).not.toContain(h2.tunnelIp);
    expect(await b1.vm.ping('10.1.0.22')).toBe(false);
    expect(await reaches(a1.vm, '10.1.0.12')).toBe(true);

    await applyAll([[d1, stateOf(h1, [{ ...a1.port, adminStateUp: false }, b1.port], [101])]]);
    expect((await listLinks(hostCommands(h1))).find(({ name }) => name === tapOf(a1.port))).toMatchObject({ up: false });
    expect(await a1.vm.ping('10.1.0.12')).toBe(false);
  }, TEST_TIMEOUT_MS);

  it('serves each port its fixed address by DHCP, with the router option, and takes a new port by reload, not restart', async () => {
    const net = vxlanNetwork(201);
    const subnet = subnetOf(net, '10.2.0.0/24', '10.2.0.1', { dnsNameservers: ['10.2.0.53'], hostRoutes: [{ destination: '10.50.0.0/24', nexthop: '10.2.0.254' }] });
    // DHCPv6 is not served: an IPv6 subnet is skipped (with a warning), not a failure.
    const subnet6 = subnetOf(net, '2001:db8:2::/64', '2001:db8:2::1', { ipVersion: 6 });
    const server = portOn(subnet, '10.2.0.2');
    server.fixedIps.push({ subnetId: subnet6.id, ipAddress: '2001:db8:2::2' });
    const group = defaultGroup();
    // On the other host than the server, behind the firewall: DHCP crosses the tunnel and the port's rules.
    const first = await instance('dhcp1', [[subnet, '10.2.0.11']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    const second = await instance('dhcp2', [[subnet, '10.2.0.12']], { portSecurityEnabled: true, securityGroupIds: [group.id] });
    const serverHost = (ports: PortSpec[]) =>
      hostState('h1', {
        networks: [net],
        ports: ports.filter((port) => port !== first.port),
        dhcp: [{ network: net, port: server, subnets: [subnet, subnet6], hosts: [server, ...ports].map(dhcpHost) }],
        securityGroups: [group],
        tunnelPeers: peersOf(h1, [201]),
      });
    await applyAll([
      [d1, serverHost([first.port])],
      [d2, hostState('h2', { networks: [net], ports: [first.port], securityGroups: [group], tunnelPeers: peersOf(h2, [201]) })],
    ]);

    expect(await first.vm.lease()).toEqual({ ip: '10.2.0.11', mask: '24', router: '10.2.0.1', mtu: '1450' });
    const { pidFile } = dnsmasqFiles(h1.settings.stateDirectory, net.networkId);
    const pid = await readPidFile(pidFile);
    expect(pid).toBeDefined();

    await applyAll([[d1, serverHost([first.port, second.port])]]);
    expect(await second.vm.lease()).toMatchObject({ ip: '10.2.0.12', router: '10.2.0.1' });
    expect(await readPidFile(pidFile)).toBe(pid);
    expect(await runningCommandLine(pid ?? 0)).toBeDefined();
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
    // The instance is on h2, the router on h1: its traffic crosses the tunnel to the router.
    const { vm, port } = await instance('r1', [[subnet, '10.3.0.11']]);
    const extraRoute = { destination: '10.77.0.0/24', nexthop: '10.99.0.1' };
    const networkNode = (enableSnat: boolean, floatingIps: RouterSpec['floatingIps'], routes: RouterSpec['routes'] = []) =>
      hostState('h1', {
        networks: [net, external],
        dhcp: [{ network: net, port: dhcpPort, subnets: [subnet], hosts: [dhcpPort, port].map(dhcpHost) }],
        routers: [
          {
            id: routerId,
            adminStateUp: true,
            interfaces: [{ network: net, port: routerPort, subnets: [subnet] }],
            gateway: { network: external, port: gatewayPort, subnets: [externalSubnet], enableSnat },
            routes,
            floatingIps,
          },
        ],
        tunnelPeers: peersOf(h1, [301]),
      });
    await applyAll([
      [d1, networkNode(true, [], [extraRoute])],
      [d2, hostState('h2', { networks: [net], ports: [port], tunnelPeers: peersOf(h2, [301]) })],
    ]);
    const routesOfRouter = () => hostCommands(h1).runOnMachine('ip', ['-n', hostCommands(h1).namespaceName(`qrouter-${routerId}`), 'route', 'show']);
    expect(await routesOfRouter()).toMatch(/^default via 10\.99\.0\.1 .*^10\.77\.0\.0\/24 via 10\.99\.0\.1 /ms);
    // The lease brings the default route via the router.
    await vm.lease();

    // The external side has no route back to 10.3.0.0/24 and takes pings from the gateway address only.
    await lab.external.acceptPingsOnlyFrom([gatewayIp]);
    expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
    await applyAll([[d1, networkNode(false, [])]]);
    expect(await vm.ping(EXTERNAL_GATEWAY_IP)).toBe(false);
    expect(await routesOfRouter()).not.toContain('10.77.0.0');

    await applyAll([[d1, networkNode(false, [{ id: randomUUID(), floatingIpAddress: floatingIp, fixedIpAddress: '10.3.0.11' }])]]);
    expect(await reaches(lab.external, floatingIp)).toBe(true);
    // With a floating IP the instance goes out from that address, SNAT or not.
    await lab.external.acceptPingsOnlyFrom([floatingIp]);
    expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('filters by security group: default-deny ingress, rules added and removed, egress by rule, same-group traffic, IPv6, anti-spoofing', async () => {
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
        [d1, hostState('h1', { networks: [net], ports: [{ ...s1.port, allowedAddressPairs: s1Pairs }, s3.port], securityGroups: groups, tunnelPeers: peersOf(h1, [401]) })],
        [d2, hostState('h2', { networks: [net], ports: [s2.port, open.port, mute.port], securityGroups: groups, tunnelPeers: peersOf(h2, [401]) })],
      ]);
    };
    await apply(web.rules);
    for (const { vm, port } of [s1, s2, s3, open, mute]) {
      for (const { ipAddress } of port.fixedIps) {
        await vm.addAddress(ipAddress.includes(':') ? `${ipAddress}/64` : `${ipAddress}/24`);
      }
    }

    // Egress by rule, with the replies let in by conntrack; none without an egress rule.
    expect(await reaches(s1.vm, '10.4.0.14')).toBe(true);
    expect(await mute.vm.ping('10.4.0.14')).toBe(false);
    // Ingress: denied by default, even from an unfiltered port.
    expect(await open.vm.ping('10.4.0.11')).toBe(false);
    // The remote-group rule lets members in, across hosts, and only members.
    expect(await reaches(s2.vm, '10.4.0.13')).toBe(true);
    expect(await reaches(s3.vm, '10.4.0.12')).toBe(true);
    expect(await s1.vm.ping('10.4.0.12')).toBe(false);
    // The same in IPv6, neighbour discovery included.
    expect(await reaches(s2.vm, '2001:db8:4::13')).toBe(true);
    expect(await reaches(s2.vm, '2001:db8:4::14')).toBe(true);
    expect(await open.vm.ping('2001:db8:4::12')).toBe(false);

    const icmpIn = rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.4.0.0/24' });
    await apply([...web.rules, icmpIn]);
    expect(await reaches(open.vm, '10.4.0.11')).toBe(true);
    await apply(web.rules);
    expect(await open.vm.ping('10.4.0.11')).toBe(false);

    // A source address that is not the port's is dropped, until it is an allowed address pair.
    await s1.vm.addAddress('10.4.0.99/24');
    expect(await s1.vm.ping('10.4.0.14', '10.4.0.99')).toBe(false);
    await apply(web.rules, [{ ipAddress: '10.4.0.99', macAddress: s1.port.macAddress }]);
    expect(await reaches(s1.vm, '10.4.0.14', '10.4.0.99')).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('reconciles: a restarted driver changes nothing, a smaller state removes the rest, removeAll leaves nothing of ours', async () => {
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
    });
    const smaller = hostState('h1', { networks: [kept], ports: [stays.port] });
    await applyAll([[d1, full]]);
    const { pidFile } = dnsmasqFiles(h1.settings.stateDirectory, dropped.networkId);
    const pid = await readPidFile(pidFile);
    expect(pid).toBeDefined();
    const before = await ownedOnHost(h1);
    expect(before.namespaces).toHaveLength(2);
    expect(before.sets.length).toBeGreaterThan(0);

    // A new driver on the same host (the agent restarted) finds everything in place.
    const restarted = new LinuxBridgeDriver(h1.settings);
    const again = await restarted.apply(full);
    expect(again.failedPorts).toEqual([]);
    expect(again.wiredPorts).toEqual(expect.arrayContaining([stays.port.id, goes.port.id, dhcpPort.id]));
    expect(await readPidFile(pidFile)).toBe(pid);

    // Concurrent calls run one after the other, in order: the smaller state is what remains.
    await Promise.all([restarted.apply(full), restarted.apply(smaller)]);
    const after = await ownedOnHost(h1);
    expect(after.links.sort()).toEqual([`brq${kept.networkId.slice(0, 11)}`, tapOf(stays.port), 'vxlan-501'].sort());
    expect(after.namespaces).toEqual([]);
    expect(after.chains.filter((chain) => chain.includes(goes.port.id.slice(0, 11)))).toEqual([]);
    expect(after.sets).toEqual([]);
    expect(await runningCommandLine(pid ?? 0)).toBeUndefined();
    expect(await lab.processes()).toEqual([]);

    await restarted.removeAll();
    expect(await ownedOnHost(h1)).toEqual({ links: [], namespaces: [], chains: [], sets: [], hook: [] });
  }, TEST_TIMEOUT_MS);
});

/** What of ours a host holds: devices, namespaces, iptables chains (IPv4 and IPv6), ipsets and FORWARD hooks. */
async function ownedOnHost(host: SimulatedHost): Promise<Record<'links' | 'namespaces' | 'chains' | 'sets' | 'hook', string[]>> {
  const rules = [...(await hostCommands(host).run('iptables', ['-S'])).split('\n'), ...(await hostCommands(host).run('ip6tables', ['-S'])).split('\n')];
  return {
    links: (await listLinks(hostCommands(host))).map(({ name }) => name).filter((name) => /^(brq|vxlan-|tap)/.test(name)),
    namespaces: await listNamespaces(hostCommands(host), `${host.namespace}-`),
    chains: rules.filter((line) => line.startsWith('-N oclb')),
    sets: (await hostCommands(host).run('ipset', ['list', '-n'])).split('\n').filter((name) => name !== ''),
    hook: rules.filter((line) => line.includes('-j oclb-FORWARD')),
  };
}
