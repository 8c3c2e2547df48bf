import { eventually, GUEST_MARKER, type JsonObject, markerLines, runCommand, runInNamespace, testGuestImage } from '@overcast/shared/testing';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ComputeMachine, MultiHostLab, whyNoMultiHostLab } from './multi-host-lab';

/** A boot under TCG reaches the guest's ready marker in 10–18 s (drivers.md), slower with two guests on 2 cores. */
const BOOT_MS = 180_000;
/** What the guests' user data prints once it has pinged its peer (or given up). */
const PEER_MARKER = 'OVERCAST-PEER';

const unavailable = whyNoMultiHostLab();

/** User data the test guest runs after booting (a `#!` script): pings `peer` for up to a minute. */
const pingPeerScript = (peer: string) => `#!/bin/sh
for attempt in $(seq 60); do
  if ping -c 1 -W 1 ${peer} > /dev/null; then echo "${PEER_MARKER} ${peer} ok"; exit 0; fi
done
echo "${PEER_MARKER} ${peer} fail"
`;

/**
 * The multi-host test: a controller, two compute hosts and a storage host, each a network
 * namespace configured by deploy/install.sh and running the services its role runs (see
 * MultiHostLab), with real guests (libvirt/QEMU TCG) on the compute hosts.
 */
if (unavailable !== undefined) {
  describe('a cloud of four hosts', () => {
    it.skip(`cannot run here: ${unavailable}`, () => undefined);
  });
  console.log(`Skipping the multi-host test: ${unavailable}`);
} else {
  describe('a cloud of four hosts (controller, two compute, storage), installed by install.sh, in network namespaces', () => {
    let lab: MultiHostLab;
    const openstack = (...args: string[]) => lab.openstack(args);
    const show = (kind: string, name: string) => lab.openstackJson([kind, 'show', name]);
    const hostOf = async (server: string) => String((await show('server', server))['OS-EXT-SRV-ATTR:host']);
    const consoleOf = (server: string) => openstack('console', 'log', 'show', server);
    const consoleWith = (server: string, marker: string, count = 1) => eventually(() => consoleOf(server), (text) => markerLines(text, marker).length >= count, BOOT_MS);
    const computeHost = (name: string) => lab.computes.find((host) => host.name === name) as ComputeMachine;
    /** `compute service list`: each host's state (up or down). */
    const hostStates = async () =>
      Object.fromEntries((await lab.openstackJson<JsonObject[]>(['compute', 'service', 'list'])).map((service) => [String(service['Host']), String(service['State'])]));
    /** Waits until `compute service list` says `host` is `state`, and returns every host's. */
    const untilHostIs = (host: string, state: 'up' | 'down') => eventually(hostStates, (states) => states[host] === state, 60_000);
    const expectActive = async (server: string) => {
      const shown = await show('server', server);
      if (shown['status'] !== 'ACTIVE') {
        throw new Error(`${server} is ${String(shown['status'])}: ${JSON.stringify(shown['fault'])}\n${await consoleOf(server).catch(() => '')}`);
      }
      return shown;
    };
    const userDataFile = async (name: string, peer: string) => {
      const file = join(lab.controller.stateDirectory, `${name}.sh`);
      await writeFile(file, pingPeerScript(peer));
      return file;
    };
    const domains = async (host: ComputeMachine) => (await runCommand('virsh', ['-c', host.libvirt.uri, 'list', '--all', '--name'])).split('\n').filter(Boolean);

    beforeAll(async () => {
      const started = performance.now();
      [lab] = await Promise.all([MultiHostLab.start(), testGuestImage()]);
      console.log(`four hosts installed and started in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }, 300_000);

    afterAll(async () => {
      if (lab !== undefined) {
        for (const server of await lab.openstackJson<JsonObject[]>(['server', 'list', '--all-projects']).catch(() => [])) {
          await openstack('server', 'delete', '--wait', String(server['ID'])).catch(() => undefined);
        }
        await lab.close();
      }
    }, 180_000);

    it('has each role on its host: the APIs answer, both compute hosts and their network agents are up, the storage host serves its backend', async () => {
      // Each compute agent reports its host once it has started.
      const bothUp = (states: Record<string, string>) => states['compute1'] === 'up' && states['compute2'] === 'up';
      expect(await eventually(hostStates, bothUp, 60_000)).toEqual({ compute1: 'up', compute2: 'up' });
      const agents = await lab.until<JsonObject[]>(['network', 'agent', 'list'], (listed) => listed.length === 2 && listed.every((agent) => agent['Alive'] === true), 60_000);
      expect(agents.map((agent) => agent['Host']).sort()).toEqual(['compute1', 'compute2']);
      const volumeServices = await lab.until<JsonObject[]>(['volume', 'service', 'list'], (listed) => listed.every((service) => service['State'] === 'up'), 60_000);
      expect(volumeServices.map((service) => `${String(service['Binary'])} ${String(service['Host'])}`).sort()).toEqual(['cinder-scheduler controller', 'cinder-volume storage@file']);
    }, 120_000);

    it('boots an anti-affinity pair on the two compute hosts, whose guests ping each other over VXLAN; attaches a volume from the storage host', async () => {
      const guest = await testGuestImage();
      await openstack('flavor', 'create', '--vcpus', '1', '--ram', '192', '--disk', '1', 'm1.tiny');
      const kernel = await lab.openstackJson(['image', 'create', '--disk-format', 'aki', '--container-format', 'aki', '--file', guest.kernel, 'tiny-kernel']);
      const ramdisk = await lab.openstackJson(['image', 'create', '--disk-format', 'ari', '--container-format', 'ari', '--file', guest.initrd, 'tiny-ramdisk']);
      const rootDisk = join(lab.controller.stateDirectory, 'tiny.qcow2');
      await runCommand('qemu-img', ['create', '-f', 'qcow2', rootDisk, '64M']);
      await openstack(
        'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', rootDisk,
        '--property', `kernel_id=${String(kernel['id'])}`, '--property', `ramdisk_id=${String(ramdisk['id'])}`, '--property', `os_command_line=${guest.cmdline}`,
        'tiny',
      );
      const network = await lab.openstackJson(['network', 'create', 'net1']);
      expect(network['provider:network_type']).toBe('vxlan');
      await openstack('subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1');
      await openstack('router', 'create', 'r1');
      await openstack('router', 'add', 'subnet', 'r1', 'sub1');
      const ports = await Promise.all(['p1', 'p2'].map((name) => lab.openstackJson<{ fixed_ips: { ip_address: string }[] }>(['port', 'create', '--network', 'net1', name])));
      const [ip1, ip2] = ports.map((port) => port.fixed_ips[0]?.ip_address ?? '');
      const group = await lab.openstackJson(['server', 'group', 'create', '--policy', 'anti-affinity', 'pair']);

      const boot = async (name: string, port: string, peer: string) =>
        openstack('server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--port', port, '--hint', `group=${String(group['id'])}`, '--user-data', await userDataFile(name, peer), '--wait', name);
      await Promise.all([boot('vm1', 'p1', ip2 as string), boot('vm2', 'p2', ip1 as string)]);
      await Promise.all([expectActive('vm1'), expectActive('vm2')]);
      expect([await hostOf('vm1'), await hostOf('vm2')].sort()).toEqual(['compute1', 'compute2']);

      // Each guest reached the other: the only way between the two hosts is the VXLAN tunnel on the underlay.
      expect(markerLines(await consoleWith('vm1', PEER_MARKER), PEER_MARKER)).toEqual([`${ip2} ok`]);
      expect(markerLines(await consoleWith('vm2', PEER_MARKER), PEER_MARKER)).toEqual([`${ip1} ok`]);
      const vxlan = `vxlan-${String(network['provider:segmentation_id'])}`;
      for (const host of lab.computes) {
        expect(await runInNamespace(host.namespace, 'ip', ['-d', 'link', 'show', vxlan])).toContain(`vxlan id ${String(network['provider:segmentation_id'])}`);
      }

      // A volume of the storage host's backend, hot-plugged into vm1 on its compute host.
      await openstack('volume', 'create', '--size', '1', 'v1');
      const volume = await lab.until<JsonObject>(['volume', 'show', 'v1'], (shown) => shown['status'] !== 'creating');
      expect(volume).toMatchObject({ status: 'available', 'os-vol-host-attr:host': expect.stringMatching(/^storage@/) });
      await openstack('server', 'add', 'volume', 'vm1', 'v1');
      expect((await lab.until<JsonObject>(['volume', 'show', 'v1'], (shown) => !['available', 'reserved', 'attaching'].includes(String(shown['status']))))['status']).toBe('in-use');
      const [added] = markerLines(await consoleWith('vm1', GUEST_MARKER.diskAdded), GUEST_MARKER.diskAdded);
      expect(added).toMatch(/^vd[b-z]$/);
      await openstack('server', 'remove', 'volume', 'vm1', 'v1');
      expect((await lab.until<JsonObject>(['volume', 'show', 'v1'], (shown) => !['in-use', 'detaching'].includes(String(shown['status']))))['status']).toBe('available');
      expect(markerLines(await consoleWith('vm1', GUEST_MARKER.diskRemoved), GUEST_MARKER.diskRemoved)).toEqual([added]);
      await openstack('volume', 'delete', 'v1');
    }, 600_000);

    it('notices a compute agent killed with SIGKILL: its host goes down and the scheduler avoids it; restarted, the host is up again with its running guest', async () => {
      const killedHost = computeHost(await hostOf('vm2'));
      const otherHost = lab.computes.find((host) => host !== killedHost) as ComputeMachine;
      await lab.killComputeAgent(killedHost);
      expect(await untilHostIs(killedHost.name, 'down')).toEqual({ [killedHost.name]: 'down', [otherHost.name]: 'up' });

      // A new anti-affinity pair: the first goes to the live host; the second has nowhere to go, and its fault says why of each host.
      const group = await lab.openstackJson(['server', 'group', 'create', '--policy', 'anti-affinity', 'during-outage']);
      const ip1 = String(((await show('port', 'p1'))['fixed_ips'] as { ip_address: string }[])[0]?.ip_address);
      await openstack('server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net1', '--hint', `group=${String(group['id'])}`, '--user-data', await userDataFile('vm3', ip1), '--wait', 'vm3');
      await expectActive('vm3');
      expect(await hostOf('vm3')).toBe(otherHost.name);
      await openstack('server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net1', '--hint', `group=${String(group['id'])}`, '--wait', 'vm4');
      const refused = await show('server', 'vm4');
      expect(refused['status']).toBe('ERROR');
      const fault = String((refused['fault'] as JsonObject)['message']);
      expect(fault).toContain('No valid host was found.');
      expect(fault).toContain(`${killedHost.name}: ComputeFilter: the host is down`);
      expect(fault).toContain(`${otherHost.name}: ServerGroupAntiAffinityFilter`);
      await openstack('server', 'delete', '--wait', 'vm4');

      // The guest on the killed host ran on meanwhile; the restarted agent reports it, and the host is up.
      const vm2Domain = `instance-${String((await show('server', 'vm2'))['id'])}`;
      expect(await domains(killedHost)).toContain(vm2Domain);
      lab.restartComputeAgent(killedHost);
      expect(await untilHostIs(killedHost.name, 'up')).toEqual({ [killedHost.name]: 'up', [otherHost.name]: 'up' });
      // Once the agent has reported, vm2's guest is the only one there: a stray guest (seen once on a
      // heavily loaded machine) is reaped by that report.
      expect(await eventually(() => domains(killedHost), (names) => names.length === 1, 30_000)).toEqual([vm2Domain]);
      const vm2 = await expectActive('vm2');
      // 1: running (the CLI shows Nova's number in JSON).
      expect(vm2['OS-EXT-STS:power_state']).toBe(1);
      expect(markerLines(await consoleOf('vm2'), GUEST_MARKER.up)).toHaveLength(1);
      const hypervisor = await lab.openstackJson(['hypervisor', 'show', killedHost.name]);
      expect(hypervisor).toMatchObject({ state: 'up', running_vms: 1 });
    }, 600_000);

    it('cold-migrates a server to the other compute host, where it boots and reaches its peer again', async () => {
      const source = await hostOf('vm3');
      await openstack('server', 'migrate', '--wait', 'vm3');
      expect((await show('server', 'vm3'))['status']).toBe('VERIFY_RESIZE');
      await openstack('server', 'resize', 'confirm', 'vm3');
      await lab.until<JsonObject>(['server', 'show', 'vm3'], (shown) => shown['status'] !== 'VERIFY_RESIZE');
      await expectActive('vm3');
      const destination = await hostOf('vm3');
      expect(destination).not.toBe(source);
      // A fresh console on the destination: one boot, which reached vm1 (on the source host) again.
      const console = await consoleWith('vm3', PEER_MARKER);
      expect(markerLines(console, GUEST_MARKER.up)).toHaveLength(1);
      expect(markerLines(console, PEER_MARKER)).toEqual([expect.stringMatching(/ ok$/)]);
      expect(await domains(computeHost(source))).toEqual([expect.stringContaining('instance-')]);
      expect(await domains(computeHost(destination))).toHaveLength(2);
    }, 600_000);

    it('deletes every server and leaves no guest, allocation or port behind on any host', async () => {
      for (const server of ['vm1', 'vm2', 'vm3']) {
        await openstack('server', 'delete', '--wait', server);
      }
      for (const host of lab.computes) {
        expect(await domains(host)).toEqual([]);
        expect(await lab.openstackJson(['hypervisor', 'show', host.name])).toMatchObject({ running_vms: 0, memory_mb_used: 0 });
      }
      expect((await lab.openstackJson<JsonObject[]>(['port', 'list', '--device-owner', 'compute:nova'])).length).toBe(0);
    }, 300_000);
  });
}
