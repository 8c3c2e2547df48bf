import { type BackendCapacity, type ConnectionInfo, type Connector, type SnapshotSpec, type VolumeDriverCapabilities, type VolumeSpec } from '@overcast/block-storage/contracts';
import { CephCli, CephCommandError, failedWith } from '@overcast/shared/ceph';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkImageData, GIB, gib, qemuFormat, qemuImg } from '../file/qemu-img';
import { type ImageSink, type ImageSource, VolumeDriver } from '../volume-driver';

const { EACCES, EBUSY, EEXIST, EINVAL, ENOENT, EPERM } = constants.errno;

export interface RbdVolumeDriverSettings {
  pool: string;
  /** The ceph.conf that says how to reach the cluster (and where the user's keyring is). */
  cephConf: string;
  /** The Ceph client name without `client.` (`--id`); Ceph's default, `admin`, when absent. */
  user?: string;
  maxOverSubscriptionRatio?: number;
  reservedPercentage?: number;
  /** Where image data waits to be checked and converted (Cinder's `image_conversion_dir`); os.tmpdir() by default. */
  conversionDir?: string;
}

/** `rbd clone` failures that mean the parent cannot be cloned from here (gone, not readable, unprotected): copy instead. */
const UNCLONEABLE = [ENOENT, EACCES, EPERM, EINVAL];

/** A clone of an RBD snapshot, as `rbd children` lists it. */
interface Child {
  pool: string;
  pool_namespace: string;
  image: string;
}

/** `rbd --size` takes MiB. */
function mib(sizeGb: number): string {
  return String(sizeGb * 1024);
}

/** What went wrong, in one line a user can read: the command's own message rather than its arguments. */
function reasonOf(error: unknown): string {
  return error instanceof CephCommandError ? error.reason : (error as Error).message;
}

function failed(failure: string, error: unknown): Error {
  return new Error(`${failure}: ${reasonOf(error)}`, { cause: error });
}

/** Goes on when the command failed because what it works on is gone already. */
function ignoreMissing(error: unknown): void {
  if (!failedWith(error, ENOENT)) {
    throw error;
  }
}

/** An id is part of an RBD name: nothing in it may name another pool, image or snapshot. */
function checkedId(id: string): string {
  if (!/^[\w-]+$/.test(id)) {
    throw new Error(`not a volume or snapshot id: ${JSON.stringify(id)}`);
  }
  return id;
}

function volumeName(id: string): string {
  return `volume-${checkedId(id)}`;
}

function snapshotName(id: string): string {
  return `snapshot-${checkedId(id)}`;
}

/**
 * Volumes in a Ceph pool, as Cinder's rbd driver keeps them: each an RBD image `volume-<id>`, each
 * snapshot an RBD snapshot `volume-<volume id>@snapshot-<id>`, protected so volumes clone it
 * copy-on-write. Hypervisors reach the volumes through librbd with the connection info's
 * `name`, `hosts` and `ports`; nothing is mapped on the volume host.
 *
 * What depends on what, so that every delete order is safe:
 * - a volume from a snapshot is a clone of it; deleting the snapshot flattens its clones first
 *   (copies the shared data into them), as Cinder does, so they keep their data;
 * - a volume from a raw image in the same cluster is a clone of the image's snapshot, which the
 *   image service then refuses to delete (409) while the volume exists, as Glance does;
 * - a volume cloned from a volume is a full copy (`rbd cp`) of a temporary snapshot of it, so
 *   neither depends on the other: Cinder's COW clone would leave the source undeletable (it renames
 *   it `.deleted` and keeps it), a state this driver never has;
 * - deleting a volume deletes its snapshots first, flattening their clones (the API deletes them
 *   itself before); nothing ever waits in the RBD trash.
 */
export class RbdVolumeDriver extends VolumeDriver {
  readonly driver = 'rbd';
  readonly storageProtocol = 'ceph';
  // Multiattach: Cinder allows it only for volumes of a multiattach type, on which it turns
  // exclusive-lock, object-map and fast-diff off; a VolumeSpec carries no type, so no volume can be.
  readonly capabilities: VolumeDriverCapabilities = { cloneImages: true, multiattach: false, extendInUse: true };
  private readonly pool: string;

  private constructor(
    private readonly settings: RbdVolumeDriverSettings,
    /** The cluster's fsid: an image location naming it is in this cluster. */
    readonly fsid: string,
    private readonly ceph: CephCli,
  ) {
    super();
    this.pool = settings.pool;
  }

  /** Reaches the cluster for its fsid. A cluster that does not answer within 30 s fails this rather than hang. */
  static async open(settings: RbdVolumeDriverSettings): Promise<RbdVolumeDriver> {
    const ceph = new CephCli(settings.cephConf, settings.user);
    const { fsid } = JSON.parse(await ceph.run('ceph', ['--connect-timeout', '30', 'fsid', '--format', 'json']).catch((error: unknown) => {
      throw failed(`the rbd volume driver could not reach the Ceph cluster of ${settings.cephConf}`, error);
    })) as { fsid: string };
    return new RbdVolumeDriver(settings, fsid, ceph);
  }

  async start(): Promise<void> {
    const pools = await this.cephJson<string[]>(['osd', 'pool', 'ls'], `the Ceph cluster ${this.fsid} does not answer`);
    if (!pools.includes(this.pool)) {
      throw new Error(`the rbd volume driver names the pool ${this.pool}, which the Ceph cluster ${this.fsid} does not have (pools: ${pools.join(', ') || 'none'})`);
    }
    // Images are converted straight into RBD by qemu's librbd driver (Debian's qemu-block-extra).
    const help = await qemuImg(['--help'], 'the rbd volume driver cannot run qemu-img');
    if (!/^Supported formats:.*\brbd\b/m.test(help)) {
      throw new Error('the rbd volume driver needs qemu-img with RBD support (Debian: qemu-block-extra)');
    }
  }

  /**
   * Cinder's pool stats: free is what the pool can still take (its quota considered), total is
   * free plus what the pool uses (Cinder's report_dynamic_total_capacity), provisioned the sizes of
   * every image in the pool (Cinder counts them all; `rbd du` would read every object map).
   */
  async capacity(): Promise<BackendCapacity> {
    const failure = `could not read the usage of the pool ${this.pool}`;
    const [df, quota, images] = await Promise.all([
      this.cephJson<{ pools: { name: string; stats: { bytes_used: number; max_avail: number } }[] }>(['df'], failure),
      this.cephJson<{ quota_max_bytes: number }>(['osd', 'pool', 'get-quota', this.pool], failure),
      this.rbdJson<{ size: number; snapshot?: string }[]>(['ls', '--long', this.pool]).catch((error: unknown) => {
        throw failed(failure, error);
      }),
    ]);
    const stats = df.pools.find((pool) => pool.name === this.pool)?.stats;
    if (stats === undefined) {
      throw new Error(`${failure}: the Ceph cluster ${this.fsid} has no such pool`);
    }
    const free = quota.quota_max_bytes > 0 ? Math.max(Math.min(quota.quota_max_bytes - stats.bytes_used, stats.max_avail), 0) : stats.max_avail;
    const provisioned = images.filter((image) => image.snapshot === undefined).reduce((sum, image) => sum + image.size, 0);
    return {
      totalCapacityGb: gib(free + stats.bytes_used),
      freeCapacityGb: gib(free),
      provisionedCapacityGb: Math.ceil(provisioned / GIB),
      thinProvisioning: true,
      maxOverSubscriptionRatio: this.settings.maxOverSubscriptionRatio ?? 20,
      reservedPercentage: this.settings.reservedPercentage ?? 0,
    };
  }

  async createVolume(volume: VolumeSpec): Promise<void> {
    const failure = `could not create volume ${volume.id}`;
    await this.make(volume, failure, () => this.rbd('create', '--size', mib(volume.sizeGb), this.volumeSpec(volume.id)));
  }

  async createVolumeFromSnapshot(volume: VolumeSpec, snapshot: SnapshotSpec): Promise<void> {
    const failure = `could not create volume ${volume.id} from snapshot ${snapshot.id}`;
    await this.make(
      volume,
      failure,
      () => this.rbd('clone', this.snapshotSpec(snapshot), this.volumeSpec(volume.id)),
      () => this.grow(volume),
    );
  }

  /** A full copy of a temporary snapshot of `source`: a point in time even while it is attached, and independent of it (see the class comment). */
  async createClonedVolume(volume: VolumeSpec, source: VolumeSpec): Promise<void> {
    const failure = `could not clone volume ${source.id} into volume ${volume.id}`;
    const point = this.volumeSpec(source.id, `copy-to-volume-${checkedId(volume.id)}`);
    await this.rbd('snap', 'create', '--no-progress', point).catch((error: unknown) => {
      throw failed(failure, error);
    });
    try {
      await this.make(
        volume,
        failure,
        () => this.rbd('cp', '--no-progress', point, this.volumeSpec(volume.id)),
        () => this.grow(volume),
      );
    } finally {
      // Left behind, it would be removed with the source volume (deleteVolume removes it); the clone is whole either way.
      await this.rbd('snap', 'rm', '--no-progress', point).catch(() => undefined);
    }
  }

  /**
   * Clones the image when one of its locations is a snapshot in this cluster and its data is raw
   * (Cinder's clone_image: a location from the image service's direct_url or locations), else
   * copies its data: downloads it to a file, checks it, and has qemu-img convert it into the volume.
   */
  async createVolumeFromImage(volume: VolumeSpec, image: ImageSource): Promise<{ cloned: boolean }> {
    const failure = `could not create volume ${volume.id} from image ${image.id}`;
    const parent = image.diskFormat === 'raw' ? image.locations.map((location) => this.snapshotIn(location)).find((spec) => spec !== undefined) : undefined;
    if (parent !== undefined) {
      // Raw data is as big as the disk it holds; a clone is as big as its parent, and never shrinks.
      if (image.size > volume.sizeGb * GIB) {
        throw new Error(`${failure}: it holds ${gib(image.size)} GiB, more than the volume's ${volume.sizeGb} GiB`);
      }
      if (await this.cloneImage(volume, parent, failure)) {
        return { cloned: true };
      }
    }
    await this.copyImage(volume, image, failure);
    return { cloned: false };
  }

  async copyVolumeToImage(volume: VolumeSpec, sink: ImageSink): Promise<void> {
    const failure = `could not copy volume ${volume.id} to an image`;
    if (sink.diskFormat === 'raw') {
      await this.upload(sink, Readable.from(this.ceph.export(this.volumeSpec(volume.id))), failure);
      return;
    }
    // qemu-img cannot write qcow2 to a pipe, so the image is made in full first.
    await this.withScratchDir(async (dir) => {
      const file = join(dir, 'image.qcow2');
      await qemuImg(['convert', '-f', 'raw', '-O', 'qcow2', this.qemuTarget(volume.id), file], failure);
      await this.upload(sink, createReadStream(file), failure);
    });
  }

  async extendVolume(volume: VolumeSpec, newSizeGb: number): Promise<void> {
    const failure = `could not extend volume ${volume.id} to ${newSizeGb} GiB`;
    await this.grow({ id: volume.id, sizeGb: newSizeGb }).catch((error: unknown) => {
      throw failed(failure, error);
    });
  }

  /**
   * Takes the volume's snapshots along (the API deletes them first; a clone that stopped half-way
   * may have left its temporary one), each as deleteSnapshot does. A volume a hypervisor still has
   * open (or a client killed less than 30 s ago, whose watch has not expired) is refused by Ceph,
   * and the delete can be tried again.
   */
  async deleteVolume(volume: VolumeSpec): Promise<void> {
    const failure = `could not delete volume ${volume.id}`;
    const spec = this.volumeSpec(volume.id);
    let snapshots: { name: string }[];
    try {
      snapshots = await this.rbdJson<{ name: string }[]>(['snap', 'ls', spec]);
    } catch (error) {
      if (failedWith(error, ENOENT)) {
        return;
      }
      throw failed(failure, error);
    }
    for (const snapshot of snapshots) {
      await this.removeSnapshot(this.volumeSpec(volume.id, snapshot.name), failure);
    }
    await this.rbd('rm', '--no-progress', spec).catch((error: unknown) => {
      if (failedWith(error, EBUSY)) {
        throw new Error(`${failure}: a client still has it open (an attached instance, or a client that stopped less than 30 s ago); detach it or try again`, { cause: error });
      }
      if (!failedWith(error, ENOENT)) {
        throw failed(failure, error);
      }
    });
  }

  async createSnapshot(snapshot: SnapshotSpec): Promise<void> {
    const failure = `could not snapshot volume ${snapshot.volumeId}`;
    const spec = this.snapshotSpec(snapshot);
    await this.rbd('snap', 'create', '--no-progress', spec).catch((error: unknown) => {
      throw failed(failure, error);
    });
    await this.rbd('snap', 'protect', spec).catch(async (error: unknown) => {
      await this.rbd('snap', 'rm', '--no-progress', spec).catch(() => undefined);
      throw failed(failure, error);
    });
  }

  async deleteSnapshot(snapshot: SnapshotSpec): Promise<void> {
    await this.removeSnapshot(this.snapshotSpec(snapshot), `could not delete snapshot ${snapshot.id}`);
  }

  /** Cinder's rbd connection info: librbd (qemu, libvirt) opens `name` through the monitors at `hosts`/`ports`. */
  async initializeConnection(volume: VolumeSpec, _connector: Connector): Promise<ConnectionInfo> {
    const failure = `could not attach volume ${volume.id}`;
    await this.rbd('info', this.volumeSpec(volume.id)).catch((error: unknown) => {
      throw failed(failure, error);
    });
    // `addr` is a monitor's legacy address (`host:port/nonce`, msgr v1 when it has one), which every client speaks.
    const { mons } = await this.cephJson<{ mons: { addr: string }[] }>(['mon', 'dump'], failure);
    const endpoints = mons.map(({ addr }) => addr.slice(0, addr.lastIndexOf('/')));
    return {
      driver_volume_type: 'rbd',
      data: {
        name: this.volumeSpec(volume.id),
        hosts: endpoints.map((endpoint) => endpoint.slice(0, endpoint.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1')),
        ports: endpoints.map((endpoint) => endpoint.slice(endpoint.lastIndexOf(':') + 1)),
        cluster_name: 'ceph',
        auth_enabled: this.settings.user !== undefined,
        auth_username: this.settings.user ?? null,
        secret_type: 'ceph',
        secret_uuid: null,
        volume_id: volume.id,
        discard: true,
        keyring: null,
      },
    };
  }

  async terminateConnection(): Promise<void> {
    // Nothing was set up for the host: librbd on it connects to the cluster by itself.
  }

  /**
   * Runs `create`, which makes the volume's RBD image, then `fill` on it; if `fill` fails, the
   * image is removed again. An image that `create` did not make (it existed) is never removed.
   */
  private async make(volume: VolumeSpec, failure: string, create: () => Promise<unknown>, fill?: () => Promise<unknown>): Promise<void> {
    await create().catch((error: unknown) => {
      throw this.creationFailed(failure, error);
    });
    if (fill !== undefined) {
      await this.fill(volume, failure, fill);
    }
  }

  private creationFailed(failure: string, error: unknown): Error {
    return failedWith(error, EEXIST) ? new Error(`${failure}: the pool ${this.pool} already holds it`, { cause: error }) : failed(failure, error);
  }

  /** Runs `fill` on the volume's new image; if it fails, removes the image again. */
  private async fill(volume: VolumeSpec, failure: string, fill: () => Promise<unknown>): Promise<void> {
    try {
      await fill();
    } catch (error) {
      const cleanup = await this.rbd('rm', '--no-progress', this.volumeSpec(volume.id)).then(
        () => undefined,
        (removal: unknown) => removal,
      );
      const left = cleanup === undefined ? '' : `; removing what it made failed too: ${reasonOf(cleanup)}`;
      throw new Error(`${failed(failure, error).message}${left}`, { cause: error });
    }
  }

  /** Clones `parent` into the volume; false when the parent cannot be cloned from here, so the data is copied instead. */
  private async cloneImage(volume: VolumeSpec, parent: string, failure: string): Promise<boolean> {
    try {
      await this.rbd('clone', parent, this.volumeSpec(volume.id));
    } catch (error) {
      if (failedWith(error, ...UNCLONEABLE)) {
        return false;
      }
      throw this.creationFailed(failure, error);
    }
    await this.fill(volume, failure, () => this.grow(volume));
    return true;
  }

  private async copyImage(volume: VolumeSpec, image: ImageSource, failure: string): Promise<void> {
    const format = qemuFormat(image.diskFormat, failure);
    await this.withScratchDir(async (dir) => {
      const file = join(dir, 'image');
      await pipeline(await image.open(), createWriteStream(file, { flags: 'wx', mode: 0o600 })).catch((error: Error) => {
        throw new Error(`${failure}: its data did not arrive: ${error.message}`, { cause: error });
      });
      await checkImageData(file, image.diskFormat, volume.sizeGb, failure);
      await this.make(
        volume,
        failure,
        () => this.rbd('create', '--size', mib(volume.sizeGb), this.volumeSpec(volume.id)),
        // A new RBD image reads as zeros: qemu-img skips the image's zeros rather than write them.
        () => qemuImg(['convert', '-n', '--target-is-zero', '-f', format, '-O', 'raw', file, this.qemuTarget(volume.id)], 'qemu-img could not convert it'),
      );
    });
  }

  /** Sends `data` to the image service; stops reading the volume whatever happens. */
  private async upload(sink: ImageSink, data: Readable, failure: string): Promise<void> {
    try {
      await sink.upload(data);
    } catch (error) {
      throw failed(failure, error);
    } finally {
      data.destroy();
    }
  }

  /**
   * Flattens the snapshot's clones (copies the data they share into them, so they keep it), then
   * unprotects and removes it. What is gone already is skipped.
   */
  private async removeSnapshot(spec: string, failure: string): Promise<void> {
    try {
      const children = await this.rbdJson<Child[]>(['children', spec]).catch((error: unknown) => {
        ignoreMissing(error);
        return [];
      });
      for (const child of children) {
        await this.rbd('flatten', '--no-progress', [child.pool, child.pool_namespace, child.image].filter((part) => part !== '').join('/')).catch(ignoreMissing);
      }
      await this.rbd('snap', 'unprotect', spec).catch((error: unknown) => {
        // EINVAL: it is not protected (a temporary snapshot).
        if (!failedWith(error, EINVAL, ENOENT)) {
          throw error;
        }
      });
      await this.rbd('snap', 'rm', '--no-progress', spec).catch(ignoreMissing);
    } catch (error) {
      throw failed(failure, error);
    }
  }

  /** Grows the volume's image to `volume.sizeGb` (rbd refuses a resize to the same size); refuses to shrink it. */
  private async grow(volume: VolumeSpec): Promise<void> {
    const spec = this.volumeSpec(volume.id);
    const { size } = await this.rbdJson<{ size: number }>(['info', spec]);
    if (size > volume.sizeGb * GIB) {
      throw new Error(`it holds ${gib(size)} GiB, and volumes never shrink`);
    }
    if (size < volume.sizeGb * GIB) {
      await this.rbd('resize', '--no-progress', '--size', mib(volume.sizeGb), spec);
    }
  }

  /** `pool/image@snap` of an `rbd://<fsid>/<pool>/<image>/<snap>` location in this cluster (Glance's format); undefined for any other. */
  private snapshotIn(location: string): string | undefined {
    if (!location.startsWith('rbd://')) {
      return undefined;
    }
    const parts = location.slice('rbd://'.length).split('/').map((part) => decodeURIComponent(part));
    const [fsid, pool, image, snapshot] = parts;
    const name = /^[^/@]+$/;
    if (parts.length !== 4 || fsid !== this.fsid || [pool, image, snapshot].some((part) => part === undefined || !name.test(part))) {
      return undefined;
    }
    return `${pool}/${image}@${snapshot}`;
  }

  /** A private directory for image data on its way, removed with all in it afterwards. */
  private async withScratchDir(work: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(this.settings.conversionDir ?? tmpdir(), 'overcast-rbd-'));
    try {
      await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The volume as qemu opens it through librbd; JSON, so no character of a name or path needs escaping. */
  private qemuTarget(id: string): string {
    const rbd = { driver: 'rbd', pool: this.pool, image: volumeName(id), conf: this.settings.cephConf, ...(this.settings.user === undefined ? {} : { user: this.settings.user }) };
    return `json:${JSON.stringify({ driver: 'raw', file: rbd })}`;
  }

  private volumeSpec(id: string, snapshot?: string): string {
    return `${this.pool}/${volumeName(id)}${snapshot === undefined ? '' : `@${snapshot}`}`;
  }

  private snapshotSpec(snapshot: SnapshotSpec): string {
    return this.volumeSpec(snapshot.volumeId, snapshotName(snapshot.id));
  }

  private rbd(...args: string[]): Promise<string> {
    return this.ceph.run('rbd', args);
  }

  /** An `rbd` command's JSON answer; a failure stays a CephCommandError, whose errno the caller may test. */
  private async rbdJson<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.rbd(...args, '--format', 'json')) as T;
  }

  private async cephJson<T>(args: string[], failure: string): Promise<T> {
    const answer = await this.ceph.run('ceph', ['--connect-timeout', '30', ...args, '--format', 'json']).catch((error: unknown) => {
      throw failed(failure, error);
    });
    return JSON.parse(answer) as T;
  }
}
