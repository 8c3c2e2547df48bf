import { randomUUID } from 'node:crypto';
import { type NetworkSegment, type NetworkType, type PortSpec, type RouterSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { Daemon, eventually, EXTERNAL_CIDR, EXTERNAL_GATEWAY_IP, EXTERNAL_PHYSNET, type LabNamespace } from '@overcast/shared/testing';
import { dnsmasqFiles } from './dhcp/dnsmasq-config';
import { deviceName, type Link, listLinks } from './host/links';
import { readPidFile, runningCommandLine } from './host/processes';
import { defaultGroup, dhcpHost, flatNetwork, hostCommands, hostState, portOn, rule, securedBy, subnetOf, vxlanNetwork } from './testing/host-state-builders';
import { addFixedAddresses, HOOK_TIMEOUT_MS, type L2Testbed, type L2TestHost, REACH_MS, reaches, TEST_TIMEOUT_MS, type WiredHost } from './testing/l2-testbed';

const ALL_NETWORK_TYPES: readonly NetworkType[] = ['local', 'flat', 'vlan', 'vxlan'];

/** What of ours a host holds, each part a sorted list (of devices, rules, flows…), to compare whole. */
export interface OwnedOnHost {
  /** The namespaces of the host's DHCP servers and routers. */
  namespaces: string[];
  /** What filters its ports by security group (iptables chains and ipsets, conntrack flows…). */
  firewall: string[];
  [part: string]: string[];
}

/** What the compliance suite needs to know of a driver beyond the L2Driver interface. */
export interface L2DriverFixture<H extends L2TestHost> {
  /** The file's testbed (see fileTestbed), shared with the driver's own tests. */
  testbed: () => Promise<L2Testbed<H>>;
  /** The network types the driver wires on the lab's hosts; it must say why in a note for each one it lacks. */
  networkTypes: readonly NetworkType[];
  ownedOnHost(host: WiredHost<H>): Promise<OwnedOnHost>;
  /** Expects `owned` to be exactly one VXLAN network with one unfiltered instance port, beyond the (empty) namespaces. */
  expectOnlyOnePort(owned: OwnedOnHost, network: NetworkSegment, port: PortSpec): void;
  /** What ownedOnHost says after removeAll: only what was on the host before the driver came. */
  nothingOwned: OwnedOnHost;
}

/** The host side of a port's device (a tap, or the host end of the veth into an instance). */
async function deviceOf({ host }: L2TestHost, port: PortSpec): Promise<Link | undefined> {
  return (await listLinks(hostCommands(host))).find(({ name }) => name === deviceName('tap', port.id));
}

/** A TCP server in the instance that answers every connection with "ok". */
function serveTcp(vm: LabNamespace, port: number): Daemon {
  return Daemon.start(`nc -l ${port} in ${vm.namespace}`, 'ip', ['netns', 'exec', vm.namespace, 'busybox', 'nc', '-ll', '-p', String(port), '-e', '/bin/echo', 'ok']);
}

function connects(from: LabNamespace, address: string, port: number): Promise<boolean> {
  return from.run('busybox', ['nc', '-w', '1', address, String(port)]).then(
    (answer) => answer.trim() === 'ok',
    () => false,
  );
}

/**
 * The contract every L2 driver passes (after cinder's compliance tests), on real host components:
 * simulated hosts of a NetnsLab, instances as namespaces with the port's veth as eth0, and what
 * they can reach proven by pings, leases and TCP connections. Needs root and busybox-static,
 * dnsmasq-base, iptables, ipset, iproute2, plus what the driver's fixture runs.
 */
export function describeL2DriverCompliance<H extends L2TestHost>(name: string, fixture: L2DriverFixture<H>): void {
  describe(`L2Driver compliance: ${name}`, () => {
    let bed: L2Testbed<H>;
    let h1: WiredHost<H>;
    let h2: WiredHost<H>;
    const servers: Daemon[] = [];

    beforeAll(async () => {
      bed = await fixture.testbed();
      ({ h1, h2 } = bed);
    }, HOOK_TIMEOUT_MS);
    afterAll(() => Promise.all(servers.map((server) => server.stop())));

    it('reports the network types it wires here, with a note for each one it cannot, and again when started again', async () => {
      expect([...bed.capabilities.networkTypes].sort()).toEqual([...fixture.networkTypes].sort());
      const missing = ALL_NETWORK_TYPES.filter((type) => !fixture.networkTypes.includes(type));
      const unexplained = missing.filter((type) => !bed.capabilities.notes.some((note) => new RegExp(`\\b${type}\\b`, 'i').test(note)));
      expect(unexplained).toEqual([]);
      expect(bed.capabilities.notes.length > 0).toBe(missing.length > 0);
      expect(await h1.driver.start()).toEqual(bed.capabilities);
    });

    it("joins a VXLAN network across two hosts, keeps another tenant's network apart, floods only to peers with the VNI, and cuts admin-down ports off", async () => {
      const netA = vxlanNetwork(101);
      const netB = vxlanNetwork(102);
      // Both tenants use the same addresses: only the network keeps them apart.
      const subnetA = subnetOf(netA, '10.1.0.0/24', null);
      const subnetB = subnetOf(netB, '10.1.0.0/24', null);
      const a1 = await bed.instance('a1', [[subnetA, '10.1.0.11']]);
      const a2 = await bed.instance('a2', [[subnetA, '10.1.0.12']]);
      const b1 = await bed.instance('b1', [[subnetB, '10.1.0.21']]);
      const b2 = await bed.instance('b2', [[subnetB, '10.1.0.22']]);
      // Beside b1 on h1: the two networks must be apart on one host too.
      const b3 = await bed.instance('b3', [[subnetB, '10.1.0.23']]);
      const stateOf = (self: WiredHost<H>, ports: PortSpec[], vnis: number[]) => hostState(self.host.name, { networks: [netA, netB], ports, tunnelPeers: bed.peersOf(self, vnis) });
      await bed.applyAll([
        [h1, stateOf(h1, [a1.port, b1.port, b3.port], [101, 102])],
        [h2, stateOf(h2, [a2.port, b2.port], [101, 102])],
      ]);
      await addFixedAddresses(a1, a2, b1, b2, b3);

      expect(await Promise.all([reaches(a1.vm, '10.1.0.12'), reaches(b1.vm, '10.1.0.22'), reaches(b1.vm, '10.1.0.23')])).toEqual([true, true, true]);
      expect(await Promise.all([a1.vm.ping('10.1.0.22'), a1.vm.ping('10.1.0.23'), b2.vm.ping('10.1.0.11')])).toEqual([false, false, false]);
      // The VXLAN header takes 50 bytes of the underlay's 1500.
      expect(await deviceOf(h1, a1.port)).toMatchObject({ mtu: 1450, up: true });

      // h2 no longer has VNI 102: h1 stops sending it there, so b1 loses b2 while a1 keeps a2.
      await bed.applyAll([[h1, stateOf(h1, [a1.port, b1.port, b3.port], [101])]]);
      expect(await b1.vm.ping('10.1.0.22')).toBe(false);
      expect(await reaches(a1.vm, '10.1.0.12')).toBe(true);

      await bed.applyAll([[h1, stateOf(h1, [{ ...a1.port, adminStateUp: false }, b1.port, b3.port], [101])]]);
      expect(await a1.vm.ping('10.1.0.12')).toBe(false);
    }, TEST_TIMEOUT_MS);

    it('serves each port its fixed address by DHCP across the tunnel and the firewall, with the router option, and takes a new port by reload, not restart', async () => {
      const net = vxlanNetwork(201);
      const subnet = subnetOf(net, '10.2.0.0/24', '10.2.0.1', { dnsNameservers: ['10.2.0.53'], hostRoutes: [{ destination: '10.50.0.0/24', nexthop: '10.2.0.254' }] });
      // An IPv6 subnet beside the IPv4 one (served statically by the same dnsmasq) must not disturb IPv4 DHCP.
      const subnet6 = subnetOf(net, '2001:db8:2::/64', '2001:db8:2::1', { ipVersion: 6 });
      const server = portOn(subnet, '10.2.0.2');
      server.fixedIps.push({ subnetId: subnet6.id, ipAddress: '2001:db8:2::2' });
      const group = defaultGroup();
      // On the other host than the server, behind the firewall: DHCP crosses the tunnel and the port's rules.
      const first = await bed.instance('dhcp1', [[subnet, '10.2.0.11']], securedBy(group));
      // Added later, beside the server.
      const second = await bed.instance('dhcp2', [[subnet, '10.2.0.12']], securedBy(group));
      const serverHost = (clients: PortSpec[]) =>
        hostState('h1', {
          networks: [net],
          ports: clients.filter((port) => port !== first.port),
          dhcp: [{ network: net, port: server, subnets: [subnet, subnet6], hosts: [server, ...clients].map(dhcpHost) }],
          securityGroups: [group],
          tunnelPeers: bed.peersOf(h1, [201]),
        });
      await bed.applyAll([
        [h1, serverHost([first.port])],
        [h2, hostState('h2', { networks: [net], ports: [first.port], securityGroups: [group], tunnelPeers: bed.peersOf(h2, [201]) })],
      ]);

      expect(await first.vm.lease()).toEqual({ ip: '10.2.0.11', mask: '24', router: '10.2.0.1', mtu: '1450' });
      const { pidFile } = dnsmasqFiles(h1.host.settings.stateDirectory, net.networkId);
      const pid = await readPidFile(pidFile);
      expect(pid).toBeDefined();

      await bed.applyAll([[h1, serverHost([first.port, second.port])]]);
      expect(await second.vm.lease()).toMatchObject({ ip: '10.2.0.12', router: '10.2.0.1' });
      expect(await readPidFile(pidFile)).toBe(pid);
      expect(await runningCommandLine(pid ?? 0)).toBeDefined();
    }, TEST_TIMEOUT_MS);

    it('routes an instance out through SNAT to the gateway address, with its extra routes, and reaches it from outside by a floating IP', async () => {
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
      // Pings from outside reach the instance only through its firewall.
      const group = defaultGroup();
      group.rules.push(rule('ingress', { protocol: 'icmp' }));
      // The instance is on h2, the router on h1: its traffic crosses the tunnel to the router.
      const { vm, port } = await bed.instance('r1', [[subnet, '10.3.0.11']], securedBy(group));
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
          tunnelPeers: bed.peersOf(h1, [301]),
        });
      await bed.applyAll([
        [h1, networkNode(true, [], [extraRoute])],
        [h2, hostState('h2', { networks: [net], ports: [port], securityGroups: [group], tunnelPeers: bed.peersOf(h2, [301]) })],
      ]);
      const commands = hostCommands(h1.host);
      const routesOfRouter = () => commands.runOnMachine('ip', ['-n', commands.namespaceName(`qrouter-${routerId}`), 'route', 'show']);
      expect(await routesOfRouter()).toMatch(/^default via 10\.99\.0\.1 .*^10\.77\.0\.0\/24 via 10\.99\.0\.1 /ms);
      // The lease brings the default route via the router.
      await vm.lease();

      // The external side has no route back to 10.3.0.0/24 and takes pings from the gateway address only.
      await bed.lab.external.acceptPingsOnlyFrom([gatewayIp]);
      expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
      await bed.applyAll([[h1, networkNode(false, [])]]);
      expect(await vm.ping(EXTERNAL_GATEWAY_IP)).toBe(false);
      expect(await routesOfRouter()).not.toContain('10.77.0.0');

      await bed.applyAll([[h1, networkNode(false, [{ id: randomUUID(), floatingIpAddress: floatingIp, fixedIpAddress: '10.3.0.11' }])]]);
      expect(await reaches(bed.lab.external, floatingIp)).toBe(true);
      // With a floating IP the instance goes out from that address, SNAT or not.
      await bed.lab.external.acceptPingsOnlyFrom([floatingIp]);
      expect(await reaches(vm, EXTERNAL_GATEWAY_IP)).toBe(true);
    }, TEST_TIMEOUT_MS);

    it('filters by security group: default-deny ingress, rules added and removed, remote groups and prefixes, TCP port ranges, IPv6, anti-spoofing', async () => {
      const net = vxlanNetwork(401);
      const subnet = subnetOf(net, '10.4.0.0/24', null);
      const subnet6 = subnetOf(net, '2001:db8:4::/64', null, { ipVersion: 6 });
      const web: SecurityGroupSpec = { id: randomUUID(), rules: [rule('egress')], memberIps: ['10.4.0.11'] };
      const shared = defaultGroup(['10.4.0.12', '10.4.0.13', '2001:db8:4::12', '2001:db8:4::13']);
      const silent: SecurityGroupSpec = { id: randomUUID(), rules: [], memberIps: ['10.4.0.15'] };
      // s1 and s3 on h1, the others on h2.
      const s1 = await bed.instance('s1', [[subnet, '10.4.0.11']], securedBy(web));
      const s2 = await bed.instance('s2', [[subnet, '10.4.0.12'], [subnet6, '2001:db8:4::12']], securedBy(shared));
      const s3 = await bed.instance('s3', [[subnet, '10.4.0.13'], [subnet6, '2001:db8:4::13']], securedBy(shared));
      const open = await bed.instance('open', [[subnet, '10.4.0.14'], [subnet6, '2001:db8:4::14']]);
      const mute = await bed.instance('mute', [[subnet, '10.4.0.15']], securedBy(silent));
      const apply = (webRules: SecurityGroupSpec['rules'], s1Pairs: PortSpec['allowedAddressPairs'] = []) => {
        const groups = [{ ...web, rules: webRules }, shared, silent];
        return bed.applyAll([
          [h1, hostState('h1', { networks: [net], ports: [{ ...s1.port, allowedAddressPairs: s1Pairs }, s3.port], securityGroups: groups, tunnelPeers: bed.peersOf(h1, [401]) })],
          [h2, hostState('h2', { networks: [net], ports: [s2.port, open.port, mute.port], securityGroups: groups, tunnelPeers: bed.peersOf(h2, [401]) })],
        ]);
      };
      await apply(web.rules);
      await addFixedAddresses(s1, s2, s3, open, mute);

      // Egress by rule, with the replies let in by conntrack.
      expect(await reaches(s1.vm, '10.4.0.14')).toBe(true);
      // The remote-group rule lets members in, across hosts; the same in IPv6, neighbour discovery included.
      expect(await Promise.all([reaches(s2.vm, '10.4.0.13'), reaches(s3.vm, '10.4.0.12'), reaches(s2.vm, '2001:db8:4::13'), reaches(s2.vm, '2001:db8:4::14')])).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect(
        await Promise.all([
          // No egress without an egress rule.
          mute.vm.ping('10.4.0.14'),
          // Ingress is denied by default, even from an unfiltered port.
          open.vm.ping('10.4.0.11'),
          open.vm.ping('2001:db8:4::12'),
          // The remote group lets in only its members, from another host or the same one.
          s1.vm.ping('10.4.0.12'),
          s1.vm.ping('10.4.0.13'),
        ]),
      ).toEqual([false, false, false, false, false]);

      // A rule admits ping, from another host and from the same host; without it, ping stops again,
      // and so do the connections it admitted.
      await apply([...web.rules, rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.4.0.0/24' })]);
      expect(await Promise.all([reaches(open.vm, '10.4.0.11'), reaches(s3.vm, '10.4.0.11')])).toEqual([true, true]);
      await apply(web.rules);
      expect(await Promise.all([open.vm.ping('10.4.0.11'), s3.vm.ping('10.4.0.11')])).toEqual([false, false]);

      // A remote prefix admits that prefix only.
      await apply([...web.rules, rule('ingress', { protocol: 'icmp', remoteIpPrefix: '10.4.0.14/32' })]);
      expect(await reaches(open.vm, '10.4.0.11')).toBe(true);
      expect(await s3.vm.ping('10.4.0.11')).toBe(false);

      // TCP to the ports of the range only; both servers answer inside the instance.
      servers.push(serveTcp(s1.vm, 8080), serveTcp(s1.vm, 9090));
      await apply([...web.rules, rule('ingress', { protocol: 'tcp', portRangeMin: 8000, portRangeMax: 8080 })]);
      expect(await eventually(() => connects(s1.vm, '127.0.0.1', 9090), (ok) => ok, REACH_MS)).toBe(true);
      expect(await eventually(() => connects(open.vm, '10.4.0.11', 8080), (ok) => ok, REACH_MS)).toBe(true);
      expect(await connects(open.vm, '10.4.0.11', 9090)).toBe(false);

      // A source address that is not the port's is dropped, until it is an allowed address pair.
      await s1.vm.addAddress('10.4.0.99/24');
      expect(await s1.vm.ping('10.4.0.14', '10.4.0.99')).toBe(false);
      await apply(web.rules, [{ ipAddress: '10.4.0.99', macAddress: s1.port.macAddress }]);
      expect(await reaches(s1.vm, '10.4.0.14', '10.4.0.99')).toBe(true);
    }, TEST_TIMEOUT_MS);

    it('reconciles: a restarted driver changes nothing, a smaller state removes the rest, removeAll leaves nothing of ours', async () => {
      // A host of its own: removeAll takes the driver's shared devices too, which h1 and h2 keep for the other tests.
      const h3 = await bed.addHost('h3');
      const kept = vxlanNetwork(501);
      const dropped = vxlanNetwork(502);
      const keptSubnet = subnetOf(kept, '10.5.0.0/24', '10.5.0.1');
      const droppedSubnet = subnetOf(dropped, '10.6.0.0/24', '10.6.0.1');
      const group = defaultGroup(['10.6.0.11']);
      const stays = await bed.instance('stays', [[keptSubnet, '10.5.0.11']]);
      const goes = await bed.instance('goes', [[droppedSubnet, '10.6.0.11']], securedBy(group));
      const dhcpPort = portOn(droppedSubnet, '10.6.0.2');
      const full = hostState('h3', {
        networks: [kept, dropped],
        ports: [stays.port, goes.port],
        dhcp: [{ network: dropped, port: dhcpPort, subnets: [droppedSubnet], hosts: [goes.port].map(dhcpHost) }],
        routers: [{ id: randomUUID(), adminStateUp: true, interfaces: [{ network: dropped, port: portOn(droppedSubnet, '10.6.0.1'), subnets: [droppedSubnet] }], routes: [], floatingIps: [] }],
        securityGroups: [group],
        tunnelPeers: bed.peersOf(h3, [501, 502]),
      });
      const smaller = hostState('h3', { networks: [kept], ports: [stays.port] });
      await bed.applyAll([[h3, full]]);
      const { pidFile } = dnsmasqFiles(h3.host.settings.stateDirectory, dropped.networkId);
      const pid = await readPidFile(pidFile);
      expect(pid).toBeDefined();
      const before = await fixture.ownedOnHost(h3);
      expect(before.namespaces).toHaveLength(2);
      expect(before.firewall).not.toEqual([]);

      // A new driver on the same host (the agent restarted) finds everything in place.
      const restarted = bed.restartedDriver(h3);
      const again = await restarted.apply(full);
      expect(again.failedPorts).toEqual([]);
      expect(again.wiredPorts).toEqual(expect.arrayContaining([stays.port.id, goes.port.id, dhcpPort.id]));
      expect(await fixture.ownedOnHost(h3)).toEqual(before);
      expect(await readPidFile(pidFile)).toBe(pid);

      // Concurrent calls run one after the other, in order: the smaller state is what remains.
      await Promise.all([restarted.apply(full), restarted.apply(smaller)]);
      const after = await fixture.ownedOnHost(h3);
      expect(after.namespaces).toEqual([]);
      fixture.expectOnlyOnePort(after, kept, stays.port);
      expect(await runningCommandLine(pid ?? 0)).toBeUndefined();
      expect(await bed.processesOf(h3)).toEqual([]);

      await restarted.removeAll();
      expect(await fixture.ownedOnHost(h3)).toEqual(fixture.nothingOwned);
    }, TEST_TIMEOUT_MS);
  });
}
