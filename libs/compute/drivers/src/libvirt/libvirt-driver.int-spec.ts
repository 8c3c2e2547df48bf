import { type BlockDeviceSpec, type BootImage, type InstanceSpec } from '@overcast/compute/contracts';
import {
  type CephCluster,
  createGuestNetwork,
  createTempDir,
  eventually,
  GUEST_MARKER,
  type GuestImage,
  type GuestNetwork,
  type LibvirtDaemons,
  markerLines,
  type NfsExport,
  startCephCluster,
  startLibvirt,
  startNfsExport,
  testGuestImage,
  whyNoLibvirt,
} from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type GuestProbe, type HypervisorUnderTest, describeHypervisorDriverCompliance } from '../hypervisor-driver.compliance';
import { type ImageFetcher } from '../hypervisor-driver';
import { LibvirtDriver } from './libvirt-driver';
import { libvirtSettings } from './libvirt-settings';

/*
 * The libvirt driver on this machine's libvirtd and QEMU, with ONE real guest (drivers.md §1:
 * KVM hangs here, so it runs under TCG, 10–18 s a boot): the tiny busybox guest from
 * testGuestImage() goes through the compliance suite's whole life, on a tap with DHCP from
 * dnsmasq and a config drive, and reports from inside on its serial console. It is hot-plugged a
 * volume of each connection type the block-storage drivers return: a local file, a file on an
 * NFS export (nfs-ganesha, reached by qemu's libnfs) and an RBD image in a Ceph cluster with cephx.
 */
const unavailable = whyNoLibvirt();
/** Where qemu may open files (drivers.md §1: the tested location). */
const IMAGES_ROOT = '/var/lib/libvirt/images';
const USER_DATA_LINE = `overcast-user-data-${randomBytes(4).toString('hex')}`;

/** Runs a host tool (never through a shell) and resolves with its stdout. */
async function runCommand(command: string, args: readonly string[]): Promise<string> {
  return (await promisify(execFile)(command, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

let daemons: Promise<LibvirtDaemons> | undefined;
afterAll(async () => {
  await (await daemons)?.close();
}, 30_000);

/** The disks the guest reports: its list at boot, then what it saw come and go. */
function guestDisks(console: string): string[] {
  const lines = console.split('\n').map((line) => line.trim());
  const boot = lines.map((line) => line.startsWith(`${GUEST_MARKER.disks} `) || line === GUEST_MARKER.disks).lastIndexOf(true);
  if (boot < 0) {
    return [];
  }
  const disks = new Set((lines[boot] as string).slice(GUEST_MARKER.disks.length).trim().split(/\s+/).filter(Boolean));
  for (const line of lines.slice(boot + 1)) {
    const [marker, disk] = line.split(' ');
    if (marker === GUEST_MARKER.diskAdded && disk) {
      disks.add(disk);
    } else if (marker === GUEST_MARKER.diskRemoved && disk) {
      disks.delete(disk);
    }
  }
  return [...disks].sort();
}

/** What the guest says on its console: its boots, its disks, the shutdowns it was asked for. */
function guestProbeOf(driver: LibvirtDriver): GuestProbe {
  return {
    boots: async (instance) => markerLines(await driver.consoleOutput(instance), GUEST_MARKER.ready).length,
    disks: async (instance) => guestDisks(await driver.consoleOutput(instance)),
    shutdownsAsked: async (instance) => markerLines(await driver.consoleOutput(instance), GUEST_MARKER.powerButton).length,
  };
}

/** Image files served by id, as the image service would through the fetcher. */
function fetcherOf(files: Map<string, string>): ImageFetcher {
  return {
    open: async (image) => {
      const path = files.get(image.id);
      if (path === undefined) {
        throw new Error(`no image ${image.id}`);
      }
      return createReadStream(path);
    },
  };
}

async function qemuImgInfo(path: string, format: string): Promise<{ format: string; 'virtual-size': number; 'backing-filename'?: string }> {
  return JSON.parse(await runCommand('qemu-img', ['info', '--output=json', '-f', format, path])) as { format: string; 'virtual-size': number; 'backing-filename'?: string };
}

/** What the rbd and nfs volumes need here, each with the package it comes with (qemu's block drivers are modules). */
const VOLUME_STORAGE_TOOLS: Record<'rbd' | 'nfs', [string, string][]> = {
  rbd: [
    ['/usr/bin/ceph-mon', 'ceph-mon'],
    ['/usr/bin/ceph-osd', 'ceph-osd'],
    ['/usr/bin/ceph-mgr', 'ceph-mgr'],
    ['/usr/bin/rbd', 'ceph-common'],
    ['/usr/lib/x86_64-linux-gnu/qemu/block-rbd.so', 'qemu-block-extra'],
  ],
  nfs: [
    ['/usr/bin/ganesha.nfsd', 'nfs-ganesha nfs-ganesha-vfs'],
    ['/usr/sbin/rpcbind', 'rpcbind'],
    ['/usr/bin/nfs-ls', 'libnfs-utils'],
    ['/usr/lib/x86_64-linux-gnu/qemu/block-nfs.so', 'qemu-block-extra'],
  ],
};

function whyNoVolumeStorage(type: 'rbd' | 'nfs'): string | undefined {
  const missing = VOLUME_STORAGE_TOOLS[type].filter(([path]) => !existsSync(path)).map(([path, pkg]) => `${path} (${pkg})`);
  return missing.length === 0 ? undefined : `missing: ${missing.join(', ')}`;
}

/** The Ceph user the rbd volume driver runs as, and the compute hosts open its volumes as (one user, as in many Cinder + Nova deployments). */
const CEPH_USER = 'overcast';

/**
 * The storage behind the rbd and nfs volumes, as an operator sets it up: a single-node Ceph
 * cluster with cephx, its user's key in a libvirt secret (the compute host's `rbdSecretUuid`), and
 * an nfs-ganesha export. qemu runs under this machine's libvirtd, outside the export's network
 * namespace, so the export is reached at a loopback address of its own (nfs.ts: a relay into the
 * namespace carries its portmapper, mountd and nfsd ports). Each is undefined, with the reason
 * logged, when this machine lacks its packages.
 */
interface VolumeStorage {
  ceph?: CephCluster;
  nfs?: { export: NfsExport; directory: string };
  close(): Promise<void>;
}

async function startVolumeStorage(secretUuid: string, scratch: string): Promise<VolumeStorage> {
  const started = Date.now();
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const step of undo.splice(0).reverse()) {
      await step().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, 'could not clean up the volume storage');
    }
  };
  const whyNoCeph = whyNoVolumeStorage('rbd');
  const whyNoNfs = whyNoVolumeStorage('nfs');
  try {
    const startCeph = async () => {
      const cluster = await startCephCluster({ cephx: true });
      undo.push(() => cluster.close());
      return cluster;
    };
    const startNfs = async () => {
      const directory = await createTempDir('overcast-nfs-volumes');
      undo.push(() => directory.remove());
      const served = await startNfsExport(directory.path, { reachableFromHost: true });
      undo.push(() => served.close());
      return { export: served, directory: directory.path };
    };
    // Both settled before a failure is thrown: what the other started must be undone too.
    const [cephStarted, nfsStarted] = await Promise.allSettled([whyNoCeph === undefined ? startCeph() : undefined, whyNoNfs === undefined ? startNfs() : undefined]);
    if (cephStarted.status === 'rejected' || nfsStarted.status === 'rejected') {
      throw cephStarted.status === 'rejected' ? cephStarted.reason : (nfsStarted as PromiseRejectedResult).reason;
    }
    const [ceph, nfs] = [cephStarted.value, nfsStarted.value];
    if (ceph) {
      const key = await ceph.createRbdUser(CEPH_USER);
      // The operator's two commands; the key goes through a file, never the command line.
      const secretXml = join(scratch, 'ceph-secret.xml');
      const keyFile = join(scratch, 'ceph-secret.key');
      await writeFile(secretXml, `<secret ephemeral='no' private='yes'><uuid>${secretUuid}</uuid><usage type='ceph'><name>overcast-test client.${CEPH_USER} ${secretUuid}</name></usage></secret>`);
      await runCommand('virsh', ['-c', 'qemu:///system', 'secret-define', secretXml]);
      undo.push(() => runCommand('virsh', ['-c', 'qemu:///system', 'secret-undefine', secretUuid]));
      await writeFile(keyFile, key, { mode: 0o600 });
      try {
        await runCommand('virsh', ['-c', 'qemu:///system', 'secret-set-value', secretUuid, '--file', keyFile]);
      } finally {
        await rm(keyFile, { force: true });
      }
    }
    for (const [type, why] of [['rbd', whyNoCeph], ['nfs', whyNoNfs]] as const) {
      if (why !== undefined) {
        console.log(`No ${type} volume is attached to the libvirt test guest: ${why}`);
      }
    }
    const what = [...(ceph ? [`a Ceph cluster with cephx (${ceph.confPath})`] : []), ...(nfs ? [`the NFS export ${nfs.export.share}`] : [])];
    console.log(`The libvirt test guest's volume storage: ${what.join(' and ') || 'none'}, ready in ${Date.now() - started} ms`);
    return { ceph, nfs, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * A 1 GiB rbd volume made as the rbd volume driver makes it (`rbd create` of `volume-<id>` in its
 * pool, as its user), with the connection info its initializeConnection returns for a driver
 * configured with a user: the monitors' legacy addresses from `ceph mon dump`, cephx on, no
 * secret_uuid (Cinder's shape, pinned by rbd-volume-driver.int-spec.ts; the compute host supplies
 * the secret). The block-storage drivers are another service's code, which a compute lib may not import.
 */
async function rbdVolume(ceph: CephCluster): Promise<BlockDeviceSpec> {
  const volumeId = randomUUID();
  const name = `${ceph.pool}/volume-${volumeId}`;
  await ceph.run(['rbd', '--id', CEPH_USER, 'create', '--size', '1024', name]);
  const { mons } = JSON.parse(await ceph.run(['ceph', 'mon', 'dump', '--format', 'json'])) as { mons: { addr: string }[] };
  const endpoints = mons.map(({ addr }) => addr.slice(0, addr.lastIndexOf('/')));
  const data = {
    name,
    hosts: endpoints.map((endpoint) => endpoint.slice(0, endpoint.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1')),
    ports: endpoints.map((endpoint) => endpoint.slice(endpoint.lastIndexOf(':') + 1)),
    cluster_name: 'ceph',
    auth_enabled: true,
    auth_username: CEPH_USER,
    secret_type: 'ceph',
    secret_uuid: null,
    volume_id: volumeId,
    discard: true,
    keyring: null,
  };
  return { volumeId, deviceName: 'vdc', connectionInfo: { driver_volume_type: 'rbd', data } };
}

/**
 * A qcow2 volume on the NFS export made as the file volume driver makes it (`volume-<id>`, root's,
 * mode 0660), with the connection info it returns for a directory that is that export.
 */
async function nfsVolume(nfs: NonNullable<VolumeStorage['nfs']>): Promise<BlockDeviceSpec> {
  const volumeId = randomUUID();
  const name = `volume-${volumeId}`;
  await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', join(nfs.directory, name), '1G']);
  await chmod(join(nfs.directory, name), 0o660);
  return { volumeId, deviceName: 'vdc', connectionInfo: { driver_volume_type: 'nfs', data: { export: nfs.export.share, name, format: 'qcow2' } } };
}

/** The clients that have an RBD image open (`rbd status`): qemu's librbd keeps a watch on it while attached. */
async function rbdWatchers(ceph: CephCluster, name: string): Promise<number> {
  return (JSON.parse(await ceph.run(['rbd', 'status', '--format', 'json', name])) as { watchers: unknown[] }).watchers.length;
}

interface Host {
  /** The driver's directory, and one beside it for the test's own images and volumes. */
  instancesPath: string;
  scratch: string;
  remove(): Promise<void>;
}

async function prepareHost(): Promise<Host> {
  daemons ??= startLibvirt();
  await daemons;
  const id = randomBytes(3).toString('hex');
  const instancesPath = join(IMAGES_ROOT, `overcast-test-${id}`);
  const scratch = join(IMAGES_ROOT, `overcast-test-${id}-scratch`);
  await mkdir(scratch, { recursive: true });
  const remove = async () => {
    await rm(instancesPath, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  };
  return { instancesPath, scratch, remove };
}

if (unavailable !== undefined) {
  describe('LibvirtDriver with a real guest', () => {
    it.skip(`cannot run here: ${unavailable}`, () => undefined);
  });
  console.log(`Skipping the libvirt driver's real-guest tests: ${unavailable}`);
} else {
  describeHypervisorDriverCompliance(
    'libvirt, one TCG guest with DHCP and a config drive',
    async () => {
      const host = await prepareHost();
      const { instancesPath, scratch } = host;
      // Started now, while the guest boots; awaited by the volume test. Handled here so that a failure is an error there, not an unhandled rejection.
      const rbdSecretUuid = randomUUID();
      const storage = startVolumeStorage(rbdSecretUuid, scratch);
      storage.catch(() => undefined);
      const [guest, network]: [GuestImage, GuestNetwork] = await Promise.all([testGuestImage(), createGuestNetwork()]).catch(async (error: unknown) => {
        // No subject, so no close(): the storage must not outlive the failed set-up.
        await (await storage.catch(() => undefined))?.close().catch(() => undefined);
        throw error;
      });
      const driver = new LibvirtDriver({ ...libvirtSettings.parse({ instancesPath, shutdownTimeoutSeconds: 30, rbdSecretUuid }), hostname: 'compliance' });
      const files = new Map<string, string>();
      const kernel = { id: randomUUID(), diskFormat: 'aki', size: 0, fileUrl: 'http://image.invalid/kernel' };
      const ramdisk = { id: randomUUID(), diskFormat: 'ari', size: 0, fileUrl: 'http://image.invalid/ramdisk' };
      files.set(kernel.id, guest.kernel).set(ramdisk.id, guest.initrd);
      const rootImage = join(scratch, 'root.qcow2');
      await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', rootImage, '64M']);
      const image: BootImage = { id: randomUUID(), diskFormat: 'qcow2', size: 0, fileUrl: 'http://image.invalid/root', kernel, ramdisk, kernelArgs: guest.cmdline, properties: {} };
      files.set(image.id, rootImage);
      // Raw data declared qcow2: the image cache must refuse it.
      const lying = join(scratch, 'lying.raw');
      await runCommand('qemu-img', ['create', '-q', '-f', 'raw', lying, '1M']);
      const lyingImage: BootImage = { ...image, id: randomUUID() };
      files.set(lyingImage.id, lying);
      const images = fetcherOf(files);
      const spawned = new Set<string>();
      /** The compliance suite's guest, whose console the volume checks quote. */
      let guestInstance: InstanceSpec | undefined;

      const instanceOf = (bootImage: BootImage): InstanceSpec => {
        const id = randomUUID();
        spawned.add(id);
        return {
          id,
          name: `compliance-${id.slice(0, 8)}`,
          vcpus: 1,
          memoryMb: 192,
          rootGb: 1,
          ephemeralGb: 0,
          swapMb: 0,
          image: bootImage,
          vifs: [{ portId: network.portId, networkId: randomUUID(), macAddress: network.mac, vifType: 'bridge', devName: network.tap }],
          blockDevices: [],
          configDrive: {
            metaData: { uuid: id, name: 'compliance', hostname: 'compliance', availability_zone: 'nova', meta: {} },
            networkData: { links: [], networks: [], services: [] },
            userData: Buffer.from(`${USER_DATA_LINE}\nsecond line\n`).toString('base64'),
          },
        };
      };
      const consoleOf = (instance: InstanceSpec) => driver.consoleOutput(instance);
      // Instance directories, files in the making, and the domains of this run's instances; the image cache's finished files may stay.
      const contentsOf = async (path: string) => {
        const top = (await readdir(path).catch(() => [])).filter((name) => name !== '_base');
        const partials = (await readdir(join(path, '_base')).catch(() => [])).filter((name) => name.startsWith('.'));
        const domains = (await runCommand('virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--name'])).split('\n').filter((name) => spawned.has(name.trim().slice('instance-'.length)));
        return [...top, ...partials.map((name) => `_base/${name}`), ...domains].sort();
      };

      const subject: HypervisorUnderTest = {
        driver,
        instance: () => (guestInstance = instanceOf(image)),
        images,
        failingSpawn: () => ({ instance: instanceOf(lyingImage), images }),
        volume: async () => {
          const volumeId = randomUUID();
          const path = join(scratch, `volume-${volumeId}`);
          await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', path, '32M']);
          const local: BlockDeviceSpec = { volumeId, deviceName: 'vdc', connectionInfo: { driver_volume_type: 'local', data: { device_path: path, format: 'qcow2' } } };
          const { ceph, nfs } = await storage;
          return [local, ...(ceph ? [await rbdVolume(ceph)] : []), ...(nfs ? [await nfsVolume(nfs)] : [])];
        },
        checkVolume: async (volume, attached) => {
          const { ceph } = await storage;
          const type = volume.connectionInfo.driver_volume_type;
          const data = volume.connectionInfo.data;
          let seen = '';
          if (ceph && type === 'rbd') {
            const name = String(data['name']);
            // Closing the image (after the guest let go) ends qemu's watch; the cluster may take a moment to drop it.
            expect(await eventually(() => rbdWatchers(ceph, name), (watchers) => watchers === (attached ? 1 : 0), 10_000)).toBe(attached ? 1 : 0);
            seen = "; Ceph saw qemu's watch on the image, then none";
          }
          if (!attached && guestInstance !== undefined) {
            const output = await driver.consoleOutput(guestInstance);
            const [added, removed] = [GUEST_MARKER.diskAdded, GUEST_MARKER.diskRemoved].map((marker) => `${marker} ${markerLines(output, marker).at(-1) ?? '(none)'}`);
            const source = type === 'rbd' ? data['name'] : type === 'nfs' ? `${String(data['export'])}/${String(data['name'])}` : data['device_path'];
            console.log(`${type} volume ${String(source)}: the guest printed ${added}, then ${removed}${seen}`);
          }
        },
        contents: () => contentsOf(instancesPath),
        // The same libvirtd with its own instances directory: a host that shares no storage with the first.
        secondHost: async () => {
          const other = await prepareHost();
          const virtType = (await driver.inventory()).virtType as 'kvm' | 'qemu';
          const otherDriver = new LibvirtDriver({ ...libvirtSettings.parse({ instancesPath: other.instancesPath, shutdownTimeoutSeconds: 30, virtType }), hostname: 'compliance-2' });
          return {
            driver: otherDriver,
            contents: () => contentsOf(other.instancesPath),
            guest: guestProbeOf(otherDriver),
            close: other.remove,
          };
        },
        guest: guestProbeOf(driver),
        afterSpawn: async (instance) => {
          const console = await consoleOf(instance);
          const context = `console:\n${console}\n${network.dnsmasqLog()}`;
          expect({ up: markerLines(console, GUEST_MARKER.up).length, context }).toEqual({ up: 1, context });
          expect({ ip: markerLines(console, GUEST_MARKER.ip), context }).toEqual({ ip: [network.guestIp], context });
          expect(markerLines(console, GUEST_MARKER.ping)).toEqual(['ok']);
          expect(markerLines(console, GUEST_MARKER.configDrive)).toEqual([instance.id]);
          expect(markerLines(console, GUEST_MARKER.userData)).toEqual([USER_DATA_LINE]);
          // The root disk (vda) and the config drive: a read-only virtio disk.
          expect(guestDisks(console)).toEqual(['vda', 'vdb']);
          const domain = await runCommand('virsh', ['-c', 'qemu:///system', 'dumpxml', `instance-${instance.id}`]);
          expect(domain).toContain(`<uuid>${instance.id}</uuid>`);
          expect(domain).toContain(`<target dev='${network.tap}' managed='no'/>`);
        },
        checkSnapshot: async (path, diskFormat) => {
          const info = await qemuImgInfo(path, diskFormat);
          expect(info.format).toBe(diskFormat);
          expect(info['virtual-size']).toBe(1024 ** 3);
          expect(info['backing-filename']).toBeUndefined();
          await runCommand('qemu-img', ['check', '-f', diskFormat, path]).catch((error: Error) => {
            // `check` does not apply to raw images.
            if (diskFormat === 'qcow2') {
              throw error;
            }
          });
        },
        close: async () => {
          try {
            await network.close();
          } finally {
            try {
              await (await storage.catch(() => undefined))?.close();
            } finally {
              await host.remove();
            }
          }
        },
      };
      return subject;
    },
    { timeoutMs: 60_000, guestTimeoutMs: 60_000, shutdownTimeoutSeconds: 30 },
  );

  describe('LibvirtDriver on this host, without booting', () => {
    let host: Host;
    let driver: LibvirtDriver;

    beforeAll(async () => {
      host = await prepareHost();
      driver = new LibvirtDriver({ ...libvirtSettings.parse({ instancesPath: host.instancesPath, tapWaitSeconds: 1 }), hostname: 'probe' });
      await driver.start();
    }, 60_000);
    afterAll(async () => {
      await driver?.stop();
      await host?.remove();
    }, 30_000);

    it('chose the acceleration by a real KVM boot, and says why', async () => {
      const inventory = await driver.inventory();
      console.log(`libvirt inventory: virtType ${inventory.virtType}: ${inventory.virtTypeReason}`);
      expect(inventory.virtTypeReason).toMatch(/^KVM probe: /);
      expect(['kvm', 'qemu']).toContain(inventory.virtType);
      expect(inventory.hypervisorType).toBe('QEMU');
      expect(inventory.hypervisorVersion).toBeGreaterThanOrEqual(1_000_000);
      expect(inventory.hostIp).toBe('127.0.0.1');
    });

    it('fails a spawn whose tap never appears, saying so, and leaves nothing', async () => {
      const id = randomUUID();
      const instance: InstanceSpec = {
        id,
        name: 'no-tap',
        vcpus: 1,
        memoryMb: 128,
        rootGb: 0,
        ephemeralGb: 0,
        swapMb: 0,
        image: undefined,
        vifs: [{ portId: randomUUID(), networkId: randomUUID(), macAddress: 'fa:16:3e:00:00:01', vifType: 'bridge', devName: 'tapoctmissing' }],
        blockDevices: [{ volumeId: randomUUID(), deviceName: 'vda', bootIndex: 0, connectionInfo: { driver_volume_type: 'local', data: { device_path: join(host.scratch, 'none'), format: 'raw' } } }],
      };
      await expect(driver.spawn(instance, fetcherOf(new Map()))).rejects.toThrow('the tap tapoctmissing of port');
      expect(await readdir(host.instancesPath)).toEqual(['_base']);
      expect((await driver.listInstances()).map((info) => info.id)).not.toContain(id);
    }, 30_000);

    it("refuses an instance it does not hold, naming it", async () => {
      const id = randomUUID();
      await expect(driver.consoleOutput({ id } as InstanceSpec)).rejects.toThrow(`instance ${id} is not on this host`);
      await expect(driver.powerOn({ id } as InstanceSpec)).rejects.toThrow(`instance ${id} is not on this host`);
      await driver.destroy({ id } as InstanceSpec);
    });
  });
}
