import { type BlockDeviceSpec, type FinishMigrationRequest, type HostInventory, type ImageSource, type InstanceInfo, type InstanceSpec, type MigratingDisk, POWER_STATE, type PowerState, type VifSpec } from '@overcast/compute/contracts';
import { createLogger, type Logger } from '@overcast/shared/core';
import { GIB, imageInfo, MIB, qemuImg, uploadFile } from '@overcast/shared/qemu';
import { randomBytes } from 'node:crypto';
import { access, copyFile, mkdir, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type HypervisorCapabilities, HypervisorDriver, type ImageFetcher, type ImageSink } from '../hypervisor-driver';
import { makeConfigDrive } from './config-drive';
import { type DomainDisk, type DomainInterface, diskXml, domainXml, interfaceXml } from './domain-xml';
import { readHostFacts, type HostFacts } from './host-facts';
import { BASE_IMAGES_FILE, ImageCache } from './image-cache';
import { probeKvm, type VirtTypeChoice } from './kvm-probe';
import { type LibvirtSettings } from './libvirt-settings';
import { type DomainState, Virsh } from './virsh';
import { VOLUME_TYPES, volumeDisk } from './volume-disk';

export type LibvirtDriverOptions = LibvirtSettings & {
  /** The name `os-hypervisors` shows; this machine's host name by default. */
  hostname?: string;
};

/** The sizes an instance takes from the host, kept in its directory so inventory() survives a restart of the agent. */
interface HeldSizes {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}
const SIZES_FILE = 'instance.json';
const ROOT_DISK = 'disk';
const EPHEMERAL_DISK = 'disk.eph0';
const CONFIG_DRIVE = 'disk.config';
/** The local disks a move carries, by the files they are. */
const MIGRATING_DISK_FILES: Record<MigratingDisk, string> = { root: ROOT_DISK, ephemeral: EPHEMERAL_DISK };
const CONSOLE_LOG = 'console.log';
const DOMAIN_XML = 'libvirt.xml';
/** How often a wait polls libvirt or the host: they tell us nothing by themselves. */
const POLL_MS = 250;
/** How long a guest has to let go of a hot-unplugged device. */
const UNPLUG_TIMEOUT_MS = 30_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Nova's power state of a libvirt domain state (nova/virt/libvirt/driver.py LIBVIRT_POWER_STATE). */
function powerStateOf(state: DomainState): PowerState {
  switch (state) {
    case 'running':
    case 'idle':
    case 'blocked':
    case 'in shutdown':
      return POWER_STATE.RUNNING;
    case 'paused':
      return POWER_STATE.PAUSED;
    case 'shut off':
      return POWER_STATE.SHUTDOWN;
    case 'crashed':
      return POWER_STATE.CRASHED;
    case 'pmsuspended':
    case 'saved':
      return POWER_STATE.SUSPENDED;
  }
}

/**
 * Where a guest's root and ephemeral disks come from: its image (a build), the disks its move's
 * source kept aside on this host (a resize in place), or the images that carried them from another.
 */
type DiskOrigin = { kind: 'image' } | { kind: 'kept'; directory: string } | { kind: 'transferred'; disks: Map<MigratingDisk, ImageSource> };

const exists = (path: string) => access(path).then(() => true, () => false);

const isActive = (state: DomainState | undefined) => state !== undefined && state !== 'shut off' && state !== 'saved' && state !== 'crashed';

/**
 * Fixed targets for the disks the host makes itself, at the end of the alphabet, so that the
 * compute service can name volumes `vdb`, `vdc`… without knowing which of these an instance has.
 */
const EPHEMERAL_TARGET = 'vdx';
const SWAP_TARGET = 'vdy';
const CONFIG_DRIVE_TARGET = 'vdz';

/**
 * The compute host's hypervisor through libvirt and QEMU (Nova's libvirt driver, trimmed), driven
 * with virsh. Each instance is the persistent domain `instance-<uuid>` (its uuid the instance's)
 * with a directory `<instancesPath>/<uuid>/` holding its root disk (a qcow2 overlay on the cached
 * image), ephemeral and swap disks, kernel and ramdisk, config drive, console log and the XML it
 * was defined with. The guest acceleration is chosen at start by a real KVM boot.
 */
export class LibvirtDriver extends HypervisorDriver {
  readonly driver = 'libvirt';
  readonly capabilities: HypervisorCapabilities = {
    pause: true,
    suspend: true,
    snapshot: true,
    attachVolume: true,
    attachInterface: true,
    configDrive: true,
    volumeTypes: [...VOLUME_TYPES],
  };
  private readonly virsh: Virsh;
  private readonly cache: ImageCache;
  private readonly logger: Logger;
  private facts?: HostFacts;
  private virtType?: VirtTypeChoice;
  private cleaner?: NodeJS.Timeout;
  private cleaning: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: LibvirtDriverOptions,
    logger?: Logger,
  ) {
    super();
    this.virsh = new Virsh(settings.uri);
    this.cache = new ImageCache(settings.instancesPath);
    this.logger = logger ?? createLogger({ level: 'warn', name: 'libvirt-driver' });
  }

  async start(): Promise<void> {
    this.facts = await readHostFacts(this.virsh);
    await mkdir(this.cache.directory, { recursive: true, mode: 0o755 });
    this.virtType =
      this.settings.virtType === 'auto'
        ? await probeKvm(this.settings.kvmProbeSeconds, this.settings.kvmProbeKernel)
        : { virtType: this.settings.virtType, reason: `virtType is set to ${this.settings.virtType}` };
    this.logger.info({ virtType: this.virtType.virtType }, this.virtType.reason);
    this.cleaner = setInterval(() => {
      this.cleaning = this.cleaning.then(() => this.cleanImageCache());
    }, this.settings.imageCacheIntervalSeconds * 1000);
    this.cleaner.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.cleaner);
    this.cleaner = undefined;
    await this.cleaning;
  }

  /** Removes cached images no instance uses and unused for `imageCacheMaxAgeSeconds` (run periodically after start()). */
  async cleanImageCache(): Promise<void> {
    try {
      const removed = await this.cache.clean(this.settings.imageCacheMaxAgeSeconds);
      if (removed.length > 0) {
        this.logger.info({ images: removed }, 'removed unused images from the image cache');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'the image cache cleaner failed');
    }
  }

  async inventory(): Promise<HostInventory> {
    const facts = this.started();
    const space = await statfs(this.settings.instancesPath);
    const held = await this.heldSizes();
    return {
      hypervisorType: 'QEMU',
      hypervisorVersion: facts.hypervisorVersion,
      hypervisorHostname: this.settings.hostname ?? hostname(),
      virtType: this.virtType?.virtType ?? 'qemu',
      virtTypeReason: this.virtType?.reason ?? '',
      cpuArch: facts.cpuArch,
      cpuInfo: facts.cpuInfo,
      vcpus: facts.vcpus,
      memoryMb: facts.memoryMb,
      localGb: Math.floor((space.blocks * space.bsize) / GIB),
      vcpusUsed: held.reduce((sum, sizes) => sum + sizes.vcpus, 0),
      memoryMbUsed: held.reduce((sum, sizes) => sum + sizes.memoryMb, 0),
      localGbUsed: held.reduce((sum, sizes) => sum + sizes.diskGb, 0),
      hostIp: this.settings.hostIp,
    };
  }

  /** The domains this driver made: named for an instance, with its directory here (another host on the same libvirtd has its own). */
  async listInstances(): Promise<InstanceInfo[]> {
    const instances: InstanceInfo[] = [];
    for (const [name, state] of await this.virsh.list()) {
      const id = name.startsWith('instance-') ? name.slice('instance-'.length) : '';
      if (UUID.test(id) && (await exists(join(this.settings.instancesPath, id)))) {
        instances.push({ id, powerState: powerStateOf(state) });
      }
    }
    return instances;
  }

  async spawn(instance: InstanceSpec, images: ImageFetcher): Promise<void> {
    await this.createGuest(instance, images, { kind: 'image' }, true, `could not spawn instance ${instance.id}`);
  }

  /**
   * On the source: the guest shut down (gently, as a power-off is), each disk to upload exported,
   * and the instance's directory kept aside as `<uuid>_resize` (Nova's name) with the domain
   * undefined. A failure before the domain goes puts everything back and starts the guest again.
   */
  async migrateDisks(instance: InstanceSpec, uploads: Map<MigratingDisk, ImageSink>): Promise<void> {
    const failure = `could not migrate instance ${instance.id}`;
    const directory = this.directoryOf(instance);
    const kept = this.keptDirectoryOf(instance);
    const wasActive = isActive(await this.stateOf(instance));
    await this.powerOff(instance, this.settings.shutdownTimeoutSeconds);
    try {
      for (const [disk, sink] of uploads) {
        await this.exportDisk(join(directory, MIGRATING_DISK_FILES[disk]), sink, `${failure}: its ${disk} disk`);
      }
      // One left by an earlier move that was never confirmed would hold older disks.
      await rm(kept, { recursive: true, force: true });
      await rename(directory, kept);
    } catch (error) {
      if (wasActive) {
        await this.powerOn(instance).catch((restart: Error) => this.logger.warn({ instance: instance.id, err: restart }, 'could not start the guest again after a failed migration'));
      }
      throw error;
    }
    await this.virsh.ifExists(['undefine', this.domainName(instance), '--managed-save'], failure);
  }

  async finishMigration(instance: InstanceSpec, images: ImageFetcher, transferred: FinishMigrationRequest['transferred'], powerOn: boolean): Promise<void> {
    const origin: DiskOrigin =
      transferred === undefined ? { kind: 'kept', directory: this.keptDirectoryOf(instance) } : { kind: 'transferred', disks: new Map(transferred.map(({ disk, image }) => [disk, image])) };
    if (origin.kind === 'kept' && !(await exists(origin.directory))) {
      throw new Error(`could not finish migrating instance ${instance.id}: no disks of it are kept on this host`);
    }
    await this.createGuest(instance, images, origin, powerOn, `could not finish migrating instance ${instance.id}`);
  }

  async confirmMigration(instance: InstanceSpec): Promise<void> {
    await rm(this.keptDirectoryOf(instance), { recursive: true, force: true });
  }

  /** The kept directory back in place and its domain defined again from the XML it holds: the guest exactly as it was. */
  async revertMigration(instance: InstanceSpec, powerOn: boolean): Promise<void> {
    const failure = `could not revert the migration of instance ${instance.id}`;
    const kept = this.keptDirectoryOf(instance);
    if (!(await exists(kept))) {
      throw new Error(`${failure}: no disks of it are kept on this host`);
    }
    // Whatever a destination on this host left (a resize in place) goes first.
    await this.destroy(instance);
    await rename(kept, this.directoryOf(instance));
    await this.interfacesFor(instance.vifs, failure);
    await this.virsh.run(['define', join(this.directoryOf(instance), DOMAIN_XML)], failure);
    if (powerOn) {
      await this.virsh.run(['start', this.domainName(instance)], failure);
    }
  }

  /** Makes the instance's directory, disks and domain, and starts it when `start`; a failure leaves nothing behind. */
  private async createGuest(instance: InstanceSpec, images: ImageFetcher, origin: DiskOrigin, start: boolean, failure: string): Promise<void> {
    const directory = this.directoryOf(instance);
    const facts = this.started();
    // `virsh define` would silently redefine a domain that is left over.
    if ((await this.virsh.state(this.domainName(instance))) !== undefined) {
      throw new Error(`${failure}: it already exists on this host`);
    }
    // mkdir without recursive fails if the directory exists: an instance is never built twice over.
    await mkdir(directory, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'EEXIST' ? `${failure}: it already exists on this host` : `${failure}: ${error.message}`);
    });
    try {
      const sizes: HeldSizes = { vcpus: instance.vcpus, memoryMb: instance.memoryMb, diskGb: instance.rootGb + instance.ephemeralGb + Math.ceil(instance.swapMb / 1024) };
      await writeFile(join(directory, SIZES_FILE), JSON.stringify(sizes));
      // Named before they are fetched, so the cache cleaner never takes one from under this guest.
      await writeFile(join(directory, BASE_IMAGES_FILE), JSON.stringify(await this.baseImagesOf(instance, origin)));

      const disks = await this.localDisks(instance, images, origin, failure);
      const interfaces = await this.interfacesFor(instance.vifs, failure);
      const kernel = await this.kernelFor(instance, images, origin);
      const xml = domainXml({
        name: this.domainName(instance),
        uuid: instance.id,
        title: instance.name,
        virtType: this.virtType?.virtType ?? 'qemu',
        arch: facts.cpuArch,
        memoryMb: instance.memoryMb,
        vcpus: instance.vcpus,
        kernel,
        disks,
        interfaces,
        consoleLog: join(directory, CONSOLE_LOG),
      });
      await writeFile(join(directory, DOMAIN_XML), xml);
      await this.virsh.run(['define', join(directory, DOMAIN_XML)], failure);
      if (start) {
        await this.virsh.run(['start', this.domainName(instance)], failure);
      }
    } catch (error) {
      await this.destroy(instance).catch((cleanup: Error) => this.logger.warn({ instance: instance.id, err: cleanup }, 'could not clean up after a failed spawn'));
      throw error;
    }
  }

  /** The cached images a guest's disks, kernel and ramdisk are made from. */
  private async baseImagesOf(instance: InstanceSpec, origin: DiskOrigin): Promise<string[]> {
    if (origin.kind === 'kept') {
      return JSON.parse(await readFile(join(origin.directory, BASE_IMAGES_FILE), 'utf8').catch(() => '[]')) as string[];
    }
    const image = instance.image;
    const disks = origin.kind === 'image' ? [image?.id] : [...origin.disks.values()].map((source) => source.id);
    return [...disks, image?.kernel?.id, image?.ramdisk?.id].filter((id) => id !== undefined);
  }

  async destroy(instance: InstanceSpec): Promise<void> {
    const name = this.domainName(instance);
    const failure = `could not destroy instance ${instance.id}`;
    if (isActive(await this.virsh.state(name))) {
      await this.virsh.ifExists(['destroy', name], failure).catch(async (error: Error) => {
        // It may have stopped by itself meanwhile.
        if (isActive(await this.virsh.state(name))) {
          throw error;
        }
      });
    }
    await this.virsh.ifExists(['undefine', name, '--managed-save'], failure);
    await rm(this.directoryOf(instance), { recursive: true, force: true });
  }

  async powerOff(instance: InstanceSpec, timeoutSeconds: number): Promise<void> {
    const name = this.domainName(instance);
    const failure = `could not power off instance ${instance.id}`;
    const state = await this.stateOf(instance);
    if (state === 'saved') {
      // A suspended guest's memory is dropped, as a power cut would.
      await this.virsh.run(['managedsave-remove', name], failure);
      return;
    }
    if (!isActive(state)) {
      return;
    }
    if (state === 'running' && timeoutSeconds > 0 && (await this.shutDownGently(instance, timeoutSeconds))) {
      return;
    }
    await this.forceOff(instance, failure);
  }

  async powerOn(instance: InstanceSpec): Promise<void> {
    if (!isActive(await this.stateOf(instance))) {
      await this.virsh.run(['start', this.domainName(instance)], `could not power on instance ${instance.id}`);
    }
  }

  /**
   * SOFT as Nova does it: an ACPI shutdown, then a fresh start once the guest is off (a start,
   * unlike an in-guest reset, also takes definition changes); a guest that does not shut down
   * within shutdownTimeoutSeconds gets the HARD one. HARD: destroy (or drop the managed save) and start.
   */
  async reboot(instance: InstanceSpec, type: 'SOFT' | 'HARD'): Promise<void> {
    const failure = `could not reboot instance ${instance.id}`;
    const state = await this.stateOf(instance);
    if (type === 'SOFT') {
      if (state !== 'running') {
        throw new Error(`${failure}: a soft reboot needs a running guest, and it is ${state}`);
      }
      if (await this.shutDownGently(instance, this.settings.shutdownTimeoutSeconds)) {
        await this.virsh.run(['start', this.domainName(instance)], failure);
        return;
      }
      this.logger.warn({ instance: instance.id }, `the guest did not shut down within ${this.settings.shutdownTimeoutSeconds} s: rebooting it hard`);
    }
    if (state === 'saved') {
      await this.virsh.run(['managedsave-remove', this.domainName(instance)], failure);
    } else if (isActive(await this.stateOf(instance))) {
      await this.forceOff(instance, failure);
    }
    await this.virsh.run(['start', this.domainName(instance)], failure);
  }

  async pause(instance: InstanceSpec): Promise<void> {
    await this.expectState(instance, ['running'], 'pause');
    await this.virsh.run(['suspend', this.domainName(instance)], `could not pause instance ${instance.id}`);
  }

  async unpause(instance: InstanceSpec): Promise<void> {
    await this.expectState(instance, ['paused'], 'unpause');
    await this.virsh.run(['resume', this.domainName(instance)], `could not unpause instance ${instance.id}`);
  }

  /** Nova's suspend: the guest's memory saved to disk (managedsave) and QEMU stopped; resume restores it running. */
  async suspend(instance: InstanceSpec): Promise<void> {
    await this.expectState(instance, ['running', 'paused'], 'suspend');
    await this.virsh.run(['managedsave', this.domainName(instance), '--running'], `could not suspend instance ${instance.id}`);
  }

  async resume(instance: InstanceSpec): Promise<void> {
    await this.expectState(instance, ['saved'], 'resume');
    await this.virsh.run(['start', this.domainName(instance)], `could not resume instance ${instance.id}`);
  }

  /**
   * The root disk converted to a standalone image in the sink's format. A running guest is paused
   * while qemu-img reads the disk (with -U, as QEMU holds its lock), so the image is consistent
   * on the disk's level, and resumed afterwards. qemu-img cannot write qcow2 to a pipe: the image
   * is made in full in the instance's directory first.
   */
  async snapshot(instance: InstanceSpec, sink: ImageSink): Promise<void> {
    const failure = `could not snapshot instance ${instance.id}`;
    const name = this.domainName(instance);
    const directory = this.directoryOf(instance);
    const pausedHere = (await this.stateOf(instance)) === 'running';
    // Its own directory says it, not the spec: the compute service sends an action's spec without the image.
    if (!(await access(join(directory, ROOT_DISK)).then(() => true, () => false))) {
      throw new Error(`${failure}: it boots from a volume; snapshot the volume instead`);
    }
    if (pausedHere) {
      await this.virsh.run(['suspend', name], failure);
    }
    const resume = pausedHere ? () => this.virsh.run(['resume', name], `${failure}: could not resume it after copying its disk`) : undefined;
    await this.exportDisk(join(directory, ROOT_DISK), sink, failure, resume);
  }

  /**
   * A disk converted to a standalone image in the sink's format and uploaded. qemu-img reads it
   * with -U (QEMU may hold its lock) and cannot write qcow2 to a pipe, so the image is made in full
   * beside the disk first; `copied` runs once it is (a paused guest resumes).
   */
  private async exportDisk(disk: string, sink: ImageSink, failure: string, copied?: () => Promise<unknown>): Promise<void> {
    const image = join(dirname(disk), `.export-${randomBytes(4).toString('hex')}.${sink.diskFormat}`);
    try {
      try {
        await qemuImg(['convert', '-U', '-f', 'qcow2', '-O', sink.diskFormat, disk, image], failure);
      } finally {
        await copied?.();
      }
      await uploadFile(image, (data) => sink.upload(data));
    } finally {
      await rm(image, { force: true });
    }
  }

  async attachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void> {
    const failure = `could not attach volume ${blockDevice.volumeId} to instance ${instance.id}`;
    const disk = volumeDisk(blockDevice, this.settings);
    if ((await this.attachedTargets(instance)).has(disk.target)) {
      throw new Error(`${failure}: the instance already has a disk ${disk.target}`);
    }
    await this.attachDevice(instance, diskXml(disk), failure);
  }

  async detachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void> {
    const failure = `could not detach volume ${blockDevice.volumeId} from instance ${instance.id}`;
    const target = blockDevice.deviceName;
    const name = this.domainName(instance);
    const live = isActive(await this.stateOf(instance));
    if (!(await this.attachedTargets(instance)).has(target)) {
      return;
    }
    await this.virsh.run(['detach-disk', name, target, '--config', ...(live ? ['--live'] : [])], failure);
    // A live unplug completes when the guest lets go of the device, after virsh returns.
    await this.waitFor(async () => !(await this.attachedTargets(instance)).has(target), UNPLUG_TIMEOUT_MS, `${failure}: the guest did not release ${target} within ${UNPLUG_TIMEOUT_MS / 1000} s`);
  }

  async attachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void> {
    const failure = `could not plug port ${vif.portId} into instance ${instance.id}`;
    const [nic] = await this.interfacesFor([vif], failure);
    await this.attachDevice(instance, interfaceXml(nic as DomainInterface), failure);
  }

  async detachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void> {
    const failure = `could not unplug port ${vif.portId} from instance ${instance.id}`;
    const live = isActive(await this.stateOf(instance));
    const xml = await this.virsh.run(['dumpxml', '--inactive', this.domainName(instance)], failure);
    if (!xml.toLowerCase().includes(`<mac address='${vif.macAddress.toLowerCase()}'/>`)) {
      return;
    }
    await this.virsh.run(['detach-interface', this.domainName(instance), 'ethernet', '--mac', vif.macAddress, '--config', ...(live ? ['--live'] : [])], failure);
  }

  async consoleOutput(instance: InstanceSpec, lines?: number): Promise<string> {
    await this.stateOf(instance);
    const text = await readFile(join(this.directoryOf(instance), CONSOLE_LOG), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        return '';
      }
      throw error;
    });
    if (lines === undefined) {
      return text;
    }
    const all = text.split('\n');
    // A last line that ends in a newline leaves an empty element, which is not a line.
    const complete = all.at(-1) === '' ? all.slice(0, -1) : all;
    return complete.slice(-lines).join('\n') + (complete.length > 0 ? '\n' : '');
  }

  /** The root disk (or none when booting from a volume), ephemeral and swap disks, volumes and config drive, with their targets. */
  private async localDisks(instance: InstanceSpec, images: ImageFetcher, origin: DiskOrigin, failure: string): Promise<DomainDisk[]> {
    const directory = this.directoryOf(instance);
    const disks: DomainDisk[] = [];
    const root = join(directory, ROOT_DISK);
    const rootSource = origin.kind === 'image' ? instance.image : origin.kind === 'transferred' ? origin.disks.get('root') : undefined;
    if (origin.kind === 'kept' && (await exists(join(origin.directory, ROOT_DISK)))) {
      await this.copyGrown(join(origin.directory, ROOT_DISK), root, instance.rootGb * GIB, `${failure}: its root disk`);
      disks.push({ type: 'file', path: root, format: 'qcow2', target: 'vda' });
    } else if (rootSource !== undefined) {
      await this.overlay(rootSource, images, root, instance.rootGb * GIB, `${failure}: its root disk`);
      disks.push({ type: 'file', path: root, format: 'qcow2', target: 'vda' });
    } else if (!instance.blockDevices.some((device) => device.bootIndex === 0)) {
      throw new Error(`${failure}: it has neither an image nor a volume to boot from`);
    }
    if (instance.ephemeralGb > 0) {
      const path = join(directory, EPHEMERAL_DISK);
      const bytes = instance.ephemeralGb * GIB;
      const transferred = origin.kind === 'transferred' ? origin.disks.get('ephemeral') : undefined;
      if (origin.kind === 'kept' && (await exists(join(origin.directory, EPHEMERAL_DISK)))) {
        await this.copyGrown(join(origin.directory, EPHEMERAL_DISK), path, bytes, `${failure}: its ephemeral disk`);
      } else if (transferred !== undefined) {
        await this.overlay(transferred, images, path, bytes, `${failure}: its ephemeral disk`);
      } else {
        await qemuImg(['create', '-q', '-f', 'qcow2', path, String(bytes)], failure);
      }
      disks.push({ type: 'file', path, format: 'qcow2', target: EPHEMERAL_TARGET });
    }
    if (instance.swapMb > 0) {
      // Swap holds nothing worth keeping: a move makes it anew at the new size.
      const path = join(directory, 'disk.swap');
      await qemuImg(['create', '-q', '-f', 'qcow2', path, String(instance.swapMb * MIB)], failure);
      disks.push({ type: 'file', path, format: 'qcow2', target: SWAP_TARGET });
    }
    disks.push(...instance.blockDevices.map((device) => volumeDisk(device, this.settings)));
    const configDrive = join(directory, CONFIG_DRIVE);
    if (origin.kind === 'kept' && (await exists(join(origin.directory, CONFIG_DRIVE)))) {
      await copyFile(join(origin.directory, CONFIG_DRIVE), configDrive);
    } else if (instance.configDrive !== undefined) {
      await makeConfigDrive(instance.configDrive, configDrive, directory);
    }
    if (await exists(configDrive)) {
      // A read-only virtio disk: a guest with only virtio drivers reads it (no IDE/SATA CD-ROM needed).
      disks.push({ type: 'file', path: configDrive, format: 'raw', target: CONFIG_DRIVE_TARGET, readOnly: true });
    }
    return disks;
  }

  /** A qcow2 overlay at `path` on the cached image, `bytes` big unless the image is bigger (then refused: a disk is never cut). */
  private async overlay(source: ImageSource, images: ImageFetcher, path: string, bytes: number, failure: string): Promise<void> {
    const base = await this.cache.get(source, images);
    if (base.format === undefined || base.virtualSize === undefined) {
      throw new Error(`${failure}: image ${source.id} is a ${source.diskFormat}, not a disk image`);
    }
    if (bytes > 0 && bytes < base.virtualSize) {
      throw new Error(`${failure}: the flavor's ${bytes / GIB} GiB are less than image ${source.id} (${Math.ceil(base.virtualSize / GIB)} GiB)`);
    }
    await qemuImg(['create', '-q', '-f', 'qcow2', '-b', base.path, '-F', base.format, path, ...(bytes > base.virtualSize ? [String(bytes)] : [])], failure);
  }

  /** A copy of a kept qcow2 disk, grown to `bytes` when that is more (a disk is never cut). */
  private async copyGrown(from: string, to: string, bytes: number, failure: string): Promise<void> {
    await copyFile(from, to);
    const virtualSize = (await imageInfo(to, 'qcow2', failure))['virtual-size'];
    if (bytes > virtualSize) {
      await qemuImg(['resize', '-q', '-f', 'qcow2', to, String(bytes)], failure);
    } else if (bytes > 0 && bytes < virtualSize) {
      throw new Error(`${failure}: the flavor's ${bytes / GIB} GiB are less than the disk's ${Math.ceil(virtualSize / GIB)} GiB`);
    }
  }

  /** A direct kernel boot when the image names a kernel (AMI style); the kernel and ramdisk are copied into the instance's directory. */
  private async kernelFor(instance: InstanceSpec, images: ImageFetcher, origin: DiskOrigin): Promise<{ path: string; initrd?: string; cmdline: string } | undefined> {
    const image = instance.image;
    if (image?.kernel === undefined) {
      return undefined;
    }
    const directory = this.directoryOf(instance);
    // Copies: libvirt relabels what a domain boots from, and restores it when that domain stops, under the feet of others sharing it.
    const copy = async (source: ImageSource, name: string) => {
      const kept = origin.kind === 'kept' ? join(origin.directory, name) : undefined;
      await copyFile(kept !== undefined && (await exists(kept)) ? kept : (await this.cache.get(source, images)).path, join(directory, name));
      return join(directory, name);
    };
    const kernel = await copy(image.kernel, 'kernel');
    const initrd = image.ramdisk === undefined ? undefined : await copy(image.ramdisk, 'ramdisk');
    return { path: kernel, initrd, cmdline: image.kernelArgs ?? 'console=ttyS0' };
  }

  /** The NICs on the taps the network agent made, once every one of them exists (it may still be making them). */
  private async interfacesFor(vifs: VifSpec[], failure: string): Promise<DomainInterface[]> {
    const timeoutMs = this.settings.tapWaitSeconds * 1000;
    await Promise.all(
      vifs.map((vif) => {
        if (!/^[A-Za-z0-9_.-]{1,15}$/.test(vif.devName)) {
          throw new Error(`${failure}: '${vif.devName}' is not a network device name`);
        }
        return this.waitFor(
          () => access(`/sys/class/net/${vif.devName}`).then(() => true, () => false),
          timeoutMs,
          `${failure}: the tap ${vif.devName} of port ${vif.portId} did not appear within ${this.settings.tapWaitSeconds} s (is the network agent running on this host?)`,
        );
      }),
    );
    return vifs.map((vif) => ({ mac: vif.macAddress, tap: vif.devName, mtu: vif.mtu }));
  }

  /** Adds a device to the domain's definition, and to the running guest when it runs. */
  private async attachDevice(instance: InstanceSpec, xml: string, failure: string): Promise<void> {
    const live = isActive(await this.stateOf(instance));
    const file = join(this.directoryOf(instance), `.device-${randomBytes(4).toString('hex')}.xml`);
    await writeFile(file, xml);
    try {
      await this.virsh.run(['attach-device', this.domainName(instance), file, '--config', ...(live ? ['--live'] : [])], failure);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** The disk targets the domain has: in the running guest when it runs, else in its definition. */
  private async attachedTargets(instance: InstanceSpec): Promise<Set<string>> {
    const live = isActive(await this.stateOf(instance));
    const list = await this.virsh.run(['domblklist', this.domainName(instance), ...(live ? [] : ['--inactive'])], `could not list the disks of instance ${instance.id}`);
    return new Set(list.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((target) => target !== ''));
  }

  /** Asks the guest to shut down by ACPI; true if it was off within the timeout. */
  private async shutDownGently(instance: InstanceSpec, timeoutSeconds: number): Promise<boolean> {
    const name = this.domainName(instance);
    await this.virsh.ifExists(['shutdown', name], `could not shut down instance ${instance.id}`);
    return this.waitFor(async () => !isActive(await this.virsh.state(name)), timeoutSeconds * 1000).then(
      () => true,
      () => false,
    );
  }

  private async forceOff(instance: InstanceSpec, failure: string): Promise<void> {
    const name = this.domainName(instance);
    await this.virsh.run(['destroy', name], failure).catch(async (error: Error) => {
      if (isActive(await this.virsh.state(name))) {
        throw error;
      }
    });
  }

  /** The domain's state; throws when this host does not hold the instance. */
  private async stateOf(instance: InstanceSpec): Promise<DomainState> {
    const state = await this.virsh.state(this.domainName(instance));
    if (state === undefined) {
      throw new Error(`instance ${instance.id} is not on this host`);
    }
    return state;
  }

  private async expectState(instance: InstanceSpec, allowed: DomainState[], action: string): Promise<void> {
    const state = await this.stateOf(instance);
    if (!allowed.includes(state)) {
      throw new Error(`cannot ${action} instance ${instance.id}: it is ${state}`);
    }
  }

  /** Polls `done` until true; throws `timeoutMessage` (or a generic one) after `timeoutMs`. */
  private async waitFor(done: () => Promise<boolean>, timeoutMs: number, timeoutMessage?: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() >= end) {
        throw new Error(timeoutMessage ?? `timed out after ${timeoutMs} ms`);
      }
      await delay(POLL_MS);
    }
  }

  private async heldSizes(): Promise<HeldSizes[]> {
    const sizes: HeldSizes[] = [];
    for (const entry of await readdir(this.settings.instancesPath, { withFileTypes: true })) {
      if (entry.isDirectory() && UUID.test(entry.name)) {
        const text = await readFile(join(this.settings.instancesPath, entry.name, SIZES_FILE), 'utf8').catch(() => undefined);
        if (text !== undefined) {
          sizes.push(JSON.parse(text) as HeldSizes);
        }
      }
    }
    return sizes;
  }

  private started(): HostFacts {
    if (this.facts === undefined) {
      throw new Error('the libvirt driver has not been started');
    }
    return this.facts;
  }

  private domainName(instance: InstanceSpec): string {
    this.checkedId(instance.id);
    return `instance-${instance.id}`;
  }

  private directoryOf(instance: InstanceSpec): string {
    return join(this.settings.instancesPath, this.checkedId(instance.id));
  }

  /** Where a move's source keeps the instance's directory until the move is confirmed or reverted. */
  private keptDirectoryOf(instance: InstanceSpec): string {
    return `${this.directoryOf(instance)}_resize`;
  }

  /** An id names a domain and a directory: it must be a uuid (libvirt's domain uuid, and nothing that leads out of instancesPath). */
  private checkedId(id: string): string {
    if (!UUID.test(id)) {
      throw new Error(`'${id}' is not an instance uuid`);
    }
    return id;
  }
}
