import { type BlockDeviceSpec, type FinishMigrationRequest, type HostInventory, type ImageSource, type InstanceInfo, type InstanceSpec, type MigratingDisk, type VifSpec } from '@overcast/compute/contracts';
import { type Readable } from 'node:stream';

/** What a hypervisor can do beyond building and destroying; the API answers 409/400 instead of failing half-way. */
export interface HypervisorCapabilities {
  pause: boolean;
  suspend: boolean;
  snapshot: boolean;
  attachVolume: boolean;
  attachInterface: boolean;
  configDrive: boolean;
  /** Volume connection types it can attach (`driver_volume_type`: `local`, `nfs`, `rbd`…). */
  volumeTypes: string[];
}

/** Where image data comes from: the image service, read with the requester's token. */
export interface ImageFetcher {
  open(image: ImageSource): Promise<Readable>;
}

/** Where an instance's disk goes to become an image. */
export interface ImageSink {
  diskFormat: 'qcow2' | 'raw';
  /** Streams `data` to the image service; resolves once it is stored. */
  upload(data: Readable): Promise<void>;
}

/**
 * One hypervisor on a compute host (Nova's ComputeDriver). It builds, runs and tears down guests
 * and says what the host holds; it never knows about the database or the API's states. Every
 * operation either completes or throws an Error whose message a user can act on (it becomes the
 * server's fault), and a failed spawn leaves nothing behind. Destroying what is already gone is
 * not an error, so a retried delete succeeds.
 */
export abstract class HypervisorDriver {
  /** The driver's name in config: `libvirt`, `fake`. */
  abstract readonly driver: string;
  abstract readonly capabilities: HypervisorCapabilities;

  /**
   * Gets the hypervisor ready (daemons reachable, acceleration probed) and reports what it
   * found; throws naming what is missing.
   */
  abstract start(): Promise<void>;

  /** Releases what start() took (connections, timers); guests keep running. */
  abstract stop(): Promise<void>;

  abstract inventory(): Promise<HostInventory>;

  /** Every instance this hypervisor holds, running or not. */
  abstract listInstances(): Promise<InstanceInfo[]>;

  /** Makes the instance's disks (the image through the cache, volumes, config drive), plugs its NICs and starts it. */
  abstract spawn(instance: InstanceSpec, images: ImageFetcher): Promise<void>;

  /**
   * Stops the instance and removes everything spawn made for it (domain, disks, console log) — but
   * not the disks a move keeps aside on its source: confirmMigration drops those.
   */
  abstract destroy(instance: InstanceSpec): Promise<void>;

  /**
   * A move's first half, on its source: stops the guest and keeps its disks aside, for a revert;
   * with `uploads`, streams each local disk (standalone, in the sink's format) to another host's
   * way first. One that fails leaves the guest as it was (running again if it ran).
   */
  abstract migrateDisks(instance: InstanceSpec, uploads: Map<MigratingDisk, ImageSink>): Promise<void>;

  /**
   * A move's second half, on its destination: the guest made again with the instance's (new)
   * sizes, from the disks kept aside on this host or from those `transferred`, and started if it
   * ran. One that fails leaves nothing behind (and the source's disks untouched).
   */
  abstract finishMigration(instance: InstanceSpec, images: ImageFetcher, transferred: FinishMigrationRequest['transferred'], powerOn: boolean): Promise<void>;

  /** The move is confirmed: the source drops the disks it kept aside (none kept is fine). */
  abstract confirmMigration(instance: InstanceSpec): Promise<void>;

  /** The move is reverted: the source makes the guest again from the disks it kept aside, as it was before the move. */
  abstract revertMigration(instance: InstanceSpec, powerOn: boolean): Promise<void>;

  /** Stops the guest, asking it to shut down first for up to `timeoutSeconds` (0: at once). */
  abstract powerOff(instance: InstanceSpec, timeoutSeconds: number): Promise<void>;

  abstract powerOn(instance: InstanceSpec): Promise<void>;

  /** SOFT asks the guest to restart (and falls back to HARD); HARD resets it. */
  abstract reboot(instance: InstanceSpec, type: 'SOFT' | 'HARD'): Promise<void>;

  abstract pause(instance: InstanceSpec): Promise<void>;
  abstract unpause(instance: InstanceSpec): Promise<void>;
  abstract suspend(instance: InstanceSpec): Promise<void>;
  abstract resume(instance: InstanceSpec): Promise<void>;

  /** Streams the instance's root disk, as a standalone image in the sink's format. */
  abstract snapshot(instance: InstanceSpec, sink: ImageSink): Promise<void>;

  abstract attachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void>;
  abstract detachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void>;
  abstract attachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void>;
  abstract detachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void>;

  /** The guest's serial console so far (its last `lines` lines when given). */
  abstract consoleOutput(instance: InstanceSpec, lines?: number): Promise<string>;
}
