import { HostCommands, IptablesFirewall } from '@overcast/network/drivers';
import { eventually, GUEST_MARKER, type JsonObject, type LibvirtDaemons, markerLines, type NetworkCloud, startLibvirt, startNetworkCloud, testGuestImage, whyNoLibvirt } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'compute-libvirt-e2e-admin';
/** qemu may open files only here (drivers.md §1: the tested location); one directory per run, so runs never meet. */
const INSTANCES_PATH = `/var/lib/libvirt/images/overcast-e2e-${randomBytes(3).toString('hex')}`;
/** A boot under TCG reaches the guest's ready marker in 10–18 s (drivers.md §1). */
const BOOT_MS = 90_000;
const USER_DATA_FIRST_LINE = `# overcast-e2e-${randomBytes(4).toString('hex')}`;

const unavailable = whyNoLibvirt();

const host = async (command: string, args: string[]) => (await run(command, args)).stdout;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * The workflow with the real openstack CLI on the all-in-one, with real guests: the
 * libvirt driver (TCG here), the Linux bridge agent wiring the taps with DHCP and a router in
 * namespaces, and the file volume backend. One guest, booted several times; it reports from
 * inside on its serial console (GUEST_MARKER), which the test reads with `console log show`.
 */
if (unavailable !== undefined) {
  describe('compute on the libvirt driver with real guests', () => {
    it.skip(`cannot run here: ${unavailable}`, () => undefined);
  });
  console.log(`Skipping the libvirt end-to-end test: ${unavailable}`);
} else {
  describe('compute on the libvirt driver: the CLI workflow with a real guest (TCG, Linux bridge, file volumes)', () => {
    let daemons: LibvirtDaemons;
    let cloud: NetworkCloud;
    const cli = (args: string[], user = cloud.alice) => cloud.cli(args, user);
    const cliJson = <T = JsonObject>(args: string[], user = cloud.alice) => cloud.cliJson<T>(args, user);
    const consoleLog = () => cli(['console', 'log', 'show', 'vm1']);
    /** Polls `show` until `status` leaves its transitional values, and returns what it shows. */
    const settled = (kind: 'server' | 'volume' | 'image', name: string, transitional: string[]) =>
      eventually(
        () => cliJson([kind, 'show', name]),
        (shown) => !transitional.includes(String(shown['status'])),
        BOOT_MS,
      );
    /** The console once the guest has printed `marker` `count` times (boots append to the same log). */
    const consoleWith = (marker: string, count: number) =>
      eventually(
        consoleLog,
        (text) => markerLines(text, marker).length >= count,
        BOOT_MS,
      );
    /** The server's status, failing with its fault and the guest's console when it is not `expected`. */
    const expectStatus = async (expected: string) => {
      const server = await cliJson(['server', 'show', 'vm1']);
      if (server['status'] !== expected) {
        const console = await consoleLog().catch((error: Error) => error.message);
        throw new Error(`vm1 is ${String(server['status'])}, not ${expected}; fault: ${JSON.stringify(server['fault'])}\nconsole:\n${console}`);
      }
      return server;
    };
    const hypervisor = async () => {
      const response = await fetch(`${cloud.aio.urls.compute}/v2.1/os-hypervisors/detail`, { headers: { 'X-Auth-Token': cloud.tokens.admin } });
      const [only] = ((await response.json()) as { hypervisors: JsonObject[] }).hypervisors;
      return only as JsonObject;
    };

    beforeAll(async () => {
      [daemons] = await Promise.all([startLibvirt(), testGuestImage()]);
      cloud = await startNetworkCloud(ADMIN_PASSWORD, {
        OVERCAST_COMPUTE_AGENT_DRIVER: 'libvirt',
        OVERCAST_COMPUTE_AGENT_LIBVIRT_INSTANCES_PATH: INSTANCES_PATH,
        // The agent wires the host's own namespace, where qemu opens the taps; a project's
        // network stays on this one host (no VXLAN device, which another agent here could own).
        OVERCAST_NETWORK_AGENT_DRIVER: 'linuxbridge',
        OVERCAST_NETWORK_TENANT_NETWORK_TYPE: 'local',
      });
      // qemu (libvirt-qemu) opens the volumes under the data dir, and dnsmasq (nobody) its files there.
      await chmod(cloud.aio.dataDir, 0o711);
    }, 180_000);

    afterAll(async () => {
      if (cloud !== undefined) {
        // Whatever a failed run left: the agents take down its domain, taps, bridges and namespaces.
        for (const server of await cliJson<JsonObject[]>(['server', 'list', '--all-projects'], cloud.admin).catch(() => [])) {
          await cli(['server', 'delete', '--wait', String(server['ID'])], cloud.admin).catch(() => undefined);
        }
        await cli(['router', 'remove', 'subnet', 'r1', 'sub1']).catch(() => undefined);
        await cli(['router', 'delete', 'r1']).catch(() => undefined);
        await cli(['network', 'delete', 'net1']).catch(() => undefined);
        await cloud.aio.close();
        // The agent leaves its (by now empty) firewall hook and chains for the next start; the test takes them.
        await new IptablesFirewall(new HostCommands()).removeAll();
      }
      await rm(INSTANCES_PATH, { recursive: true, force: true });
      await daemons?.close();
    }, 120_000);

    it('boots, reports DHCP, the gateway and the config drive from inside, takes a volume, stops, starts, reboots, snapshots, resizes and leaves nothing behind', async () => {
      const guest = await testGuestImage();
      const work = cloud.aio.dataDir;
      await cli(['flavor', 'create', '--vcpus', '1', '--ram', '192', '--disk', '1', 'm1.tiny'], cloud.admin);
      const kernel = await cliJson(['image', 'create', '--disk-format', 'aki', '--container-format', 'aki', '--file', guest.kernel, 'tiny-kernel']);
      const ramdisk = await cliJson(['image', 'create', '--disk-format', 'ari', '--container-format', 'ari', '--file', guest.initrd, 'tiny-ramdisk']);
      const rootDisk = join(work, 'tiny.qcow2');
      await host('qemu-img', ['create', '-f', 'qcow2', rootDisk, '64M']);
      await cli([
        'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', rootDisk,
        '--property', `kernel_id=${String(kernel['id'])}`, '--property', `ramdisk_id=${String(ramdisk['id'])}`, '--property', `os_command_line=${guest.cmdline}`,
        'tiny',
      ]);

      await cli(['network', 'create', 'net1']);
      await cli(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1']);
      await cli(['router', 'create', 'r1']);
      await cli(['router', 'add', 'subnet', 'r1', 'sub1']);
      await cli(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);

      const keyFile = join(work, 'id_ed25519');
      await host('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
      await cli(['keypair', 'create', '--public-key', `${keyFile}.pub`, 'k1']);
      const userData = join(work, 'init.sh');
      await writeFile(userData, `${USER_DATA_FIRST_LINE}\necho hello from user data\n`);

      // --wait exits 0 even when the server ends in ERROR: the status is checked here.
      const createdAt = performance.now();
      await cli(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net1', '--key-name', 'k1', '--user-data', userData, '--wait', 'vm1']);
      const server = await expectStatus('ACTIVE');
      const active = seconds(createdAt);
      const id = String(server['id']);
      const booted = await consoleWith(GUEST_MARKER.ready, 1);
      console.log(`server create → ACTIVE in ${active}, → ${GUEST_MARKER.ready} on the console in ${seconds(createdAt)}`);

      // The guest got its port's address by DHCP, reached the router's gateway, and read its config drive.
      const [port] = await cliJson<{ ID: string; 'Fixed IP Addresses': { ip_address: string }[] }[]>(['port', 'list', '--server', 'vm1']);
      expect(markerLines(booted, GUEST_MARKER.up)).toHaveLength(1);
      expect(markerLines(booted, GUEST_MARKER.ip)).toEqual([port?.['Fixed IP Addresses'][0]?.ip_address]);
      expect(markerLines(booted, GUEST_MARKER.ping)).toEqual(['ok']);
      expect(markerLines(booted, GUEST_MARKER.configDrive)).toEqual([id]);
      expect(markerLines(booted, GUEST_MARKER.userData)).toEqual([USER_DATA_FIRST_LINE]);
      const tap = `tap${String(port?.ID).slice(0, 11)}`;
      expect((await host('virsh', ['-c', daemons.uri, 'domiflist', `instance-${id}`])).split(/\s+/)).toContain(tap);

      // A volume hot-plugged into the running guest, and out again.
      await cli(['volume', 'create', '--size', '1', 'v1']);
      expect((await settled('volume', 'v1', ['creating']))['status']).toBe('available');
      await cli(['server', 'add', 'volume', 'vm1', 'v1']);
      expect((await settled('volume', 'v1', ['available', 'reserved', 'attaching']))['status']).toBe('in-use');
      const [added] = markerLines(await consoleWith(GUEST_MARKER.diskAdded, 1), GUEST_MARKER.diskAdded);
      expect(added).toMatch(/^vd[b-w]$/);
      await cli(['server', 'remove', 'volume', 'vm1', 'v1']);
      expect((await settled('volume', 'v1', ['in-use', 'detaching']))['status']).toBe('available');
      expect(markerLines(await consoleWith(GUEST_MARKER.diskRemoved, 1), GUEST_MARKER.diskRemoved)).toEqual([added]);

      // Stop is an ACPI shutdown the guest answers; start and reboot boot it again, on the same console log.
      await cli(['server', 'stop', 'vm1']);
      expect((await settled('server', 'vm1', ['ACTIVE']))['status']).toBe('SHUTOFF');
      expect((await host('virsh', ['-c', daemons.uri, 'domstate', `instance-${id}`])).trim()).toBe('shut off');
      expect(markerLines(await consoleLog(), GUEST_MARKER.powerButton)).toHaveLength(1);
      await cli(['server', 'start', 'vm1']);
      expect((await settled('server', 'vm1', ['SHUTOFF']))['status']).toBe('ACTIVE');
      expect(markerLines(await consoleWith(GUEST_MARKER.ready, 2), GUEST_MARKER.up)).toHaveLength(2);
      await cli(['server', 'reboot', '--wait', 'vm1']);
      await expectStatus('ACTIVE');
      const rebooted = await consoleWith(GUEST_MARKER.ready, 3);
      expect(markerLines(rebooted, GUEST_MARKER.ping)).toEqual(['ok', 'ok', 'ok']);

      // A snapshot of the root disk, as a qcow2 image.
      await cli(['server', 'image', 'create', '--name', 'vm1-snap', 'vm1']);
      expect(await settled('image', 'vm1-snap', ['queued', 'saving'])).toMatchObject({ status: 'active', disk_format: 'qcow2' });
      await expectStatus('ACTIVE');
      expect(await hypervisor()).toMatchObject({ running_vms: 1, memory_mb_used: 192 });

      // A resize on its host: the guest stops and boots again from a copy of its disk, with the new
      // flavor's memory and its NIC (a fresh console: one boot, DHCP and the gateway again); confirmed,
      // the old disks go.
      await cli(['flavor', 'create', '--vcpus', '1', '--ram', '256', '--disk', '2', 'm1.small'], cloud.admin);
      await cli(['server', 'resize', '--flavor', 'm1.small', '--wait', 'vm1']);
      await expectStatus('VERIFY_RESIZE');
      const resized = await consoleWith(GUEST_MARKER.ready, 1);
      expect(markerLines(resized, GUEST_MARKER.ready)).toHaveLength(1);
      expect(markerLines(resized, GUEST_MARKER.ip)).toEqual([port?.['Fixed IP Addresses'][0]?.ip_address]);
      expect(markerLines(resized, GUEST_MARKER.ping)).toEqual(['ok']);
      expect(await host('virsh', ['-c', daemons.uri, 'dominfo', `instance-${id}`]).then((info) => /Max memory:\s+(\d+) KiB/.exec(info)?.[1])).toBe(String(256 * 1024));
      await cli(['server', 'resize', 'confirm', 'vm1']);
      expect((await settled('server', 'vm1', ['VERIFY_RESIZE']))['flavor']).toContain('m1.small');
      await expectStatus('ACTIVE');
      await expect(access(join(INSTANCES_PATH, `${id}_resize`))).rejects.toThrow(/ENOENT/);

      // Delete leaves nothing on the host: no domain, no directory, no tap, no port, no allocation.
      await cli(['server', 'delete', '--wait', 'vm1']);
      expect(await cliJson<JsonObject[]>(['server', 'list'])).toEqual([]);
      expect((await host('virsh', ['-c', daemons.uri, 'list', '--all', '--name'])).split('\n')).not.toContain(`instance-${id}`);
      await expect(access(join(INSTANCES_PATH, id))).rejects.toThrow(/ENOENT/);
      expect(await cliJson<JsonObject[]>(['port', 'list', '--device-id', id])).toEqual([]);
      const links = await eventually(
        async () => (JSON.parse(await host('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((link) => link.ifname),
        (names) => !names.includes(tap),
        30_000,
      );
      expect(links).not.toContain(tap);
      expect(await eventually(hypervisor, (shown) => shown['running_vms'] === 0, 30_000)).toMatchObject({ running_vms: 0, memory_mb_used: 0, vcpus_used: 0 });
    }, 300_000);
  });
}
