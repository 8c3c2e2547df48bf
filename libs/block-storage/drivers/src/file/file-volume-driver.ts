import { type BackendCapacity, type ConnectionInfo, type Connector, type SnapshotSpec, type VolumeDriverCapabilities, type VolumeSpec } from '@overcast/block-storage/contracts';
import { GIB, imageInfo, qemuImg, uploadFile } from '@overcast/shared/qemu';
import { randomBytes } from 'node:crypto';
import { chmod, open, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type ImageSink, type ImageSource, VolumeDriver } from '../volume-driver';
import { checkImageData, gib, qemuFormat } from './qemu-img';

export interface FileVolumeDriverOptions {
  /** Where the volume and snapshot files live: a local directory, or the mount of an NFS export or a GlusterFS volume. */
  directory: string;
  /** The format of the volumes: qcow2 (thin), or raw (sparse files). */
  format: 'qcow2' | 'raw';
  /** What `directory` is, as Cinder's pool stats say it; `file` by default. */
  storageProtocol?: 'file' | 'nfs' | 'glusterfs';
  /** `server:/export`, the NFS export mounted on `directory`; required with (and only with) `nfs`. */
  nfsShare?: string;
  maxOverSubscriptionRatio?: number;
  reservedPercentage?: number;
}

/** The qcow2 magic, "QFI\xfb", which starts every qcow2 header. */
const QCOW2_MAGIC = 0x514649fb;

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') {
    throw error;
  }
}

/** Flushes a directory, so a rename in it survives a crash. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * What a file holds for a guest, in bytes, read from the file itself: a raw file's length, or a
 * qcow2 header's size field (bytes 24–31, big-endian). capacity() runs often; a qemu-img process
 * per file would be the costly way to learn the same.
 */
async function virtualSize(path: string, format: 'qcow2' | 'raw'): Promise<number> {
  if (format === 'raw') {
    return (await stat(path)).size;
  }
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(32), 0, 32, 0);
    if (bytesRead < 32 || buffer.readUInt32BE(0) !== QCOW2_MAGIC) {
      throw new Error(`${path} is not a qcow2 file`);
    }
    return Number(buffer.readBigUInt64BE(24));
  } finally {
    await handle.close();
  }
}

/**
 * Volumes as files in a directory (Cinder's NFS/remotefs drivers without their snapshot chains):
 * `volume-<id>` in the configured format, and `snapshot-<id>`, an independent qcow2 copy, so
 * volumes, snapshots and the volumes made from them can be deleted in any order. Files are made
 * under a temporary name and renamed into place, so a crash never leaves a half-made one under
 * its real name. Every qemu-img call on a volume names its format: a raw volume whose guest wrote
 * a qcow2 header must never be probed as qcow2 (the guest could name a backing file on the host).
 */
export class FileVolumeDriver extends VolumeDriver {
  readonly driver = 'file';
  readonly storageProtocol: 'file' | 'nfs' | 'glusterfs';
  /**
   * Extending a file that a running qemu holds needs the hypervisor's help (Nova-assisted, in
   * Cinder). Several hosts may share a raw file (libvirt's `<shareable/>`), never a qcow2 one: its
   * metadata would be written by each.
   */
  readonly capabilities: VolumeDriverCapabilities;
  private readonly directory: string;
  private readonly format: 'qcow2' | 'raw';
  private readonly nfsShare?: string;
  private readonly maxOverSubscriptionRatio: number;
  private readonly reservedPercentage: number;
  /**
   * GlusterFS's FUSE client (10.3) can leave a byte-range lock request unanswered when several
   * processes lock files on one mount at once, and qemu-img locks every image it opens: it then
   * hangs for good. So on glusterfs the driver runs one qemu-img at a time, queued here.
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileVolumeDriverOptions) {
    super();
    this.directory = resolve(options.directory);
    this.format = options.format;
    this.capabilities = { cloneImages: false, multiattach: options.format === 'raw', extendInUse: false };
    this.storageProtocol = options.storageProtocol ?? 'file';
    if ((this.storageProtocol === 'nfs') !== (options.nfsShare !== undefined)) {
      throw new Error(`the file volume driver takes nfsShare with storageProtocol 'nfs', and only then (storageProtocol is '${this.storageProtocol}')`);
    }
    if (options.nfsShare !== undefined && !/^[^:/]+:\/.*$/.test(options.nfsShare)) {
      throw new Error(`nfsShare must read 'server:/export', not '${options.nfsShare}'`);
    }
    this.nfsShare = options.nfsShare;
    // Cinder's defaults.
    this.maxOverSubscriptionRatio = options.maxOverSubscriptionRatio ?? 20;
    this.reservedPercentage = options.reservedPercentage ?? 0;
  }

  async start(): Promise<void> {
    const directory = await stat(this.directory).catch(() => undefined);
    if (!directory?.isDirectory()) {
      throw new Error(`the file volume driver's directory ${this.directory} does not exist`);
    }
    // A real write: access() would pass for root on an NFS export that squashes root.
    const probe = join(this.directory, `.write-probe-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '', { flag: 'wx' }).catch((error: Error) => {
      throw new Error(`the file volume driver cannot write to ${this.directory}: ${error.message}`);
    });
    await rm(probe, { force: true });
    await qemuImg(['--version'], 'the file volume driver cannot run qemu-img');
  }

  async capacity(): Promise<BackendCapacity> {
    const [space, provisioned] = await Promise.all([statfs(this.directory), this.provisionedBytes()]);
    return {
      totalCapacityGb: gib(space.blocks * space.bsize),
      freeCapacityGb: gib(space.bavail * space.bsize),
      provisionedCapacityGb: gib(provisioned),
      // qcow2 files grow as the guest writes, and raw ones are sparse: qemu-img makes both so.
      thinProvisioning: true,
      maxOverSubscriptionRatio: this.maxOverSubscriptionRatio,
      reservedPercentage: this.reservedPercentage,
    };
  }

  async createVolume(volume: VolumeSpec): Promise<void> {
    await this.produce(this.volumePath(volume.id), (partial) =>
      this.inTurn(() => qemuImg(['create', '-q', '-f', this.format, partial, String(volume.sizeGb * GIB)], `could not create volume ${volume.id}`)),
    );
  }

  async createVolumeFromSnapshot(volume: VolumeSpec, snapshot: SnapshotSpec): Promise<void> {
    await this.copyInto(volume, this.snapshotPath(snapshot.id), 'qcow2', `could not create volume ${volume.id} from snapshot ${snapshot.id}`);
  }

  async createClonedVolume(volume: VolumeSpec, source: VolumeSpec): Promise<void> {
    await this.copyInto(volume, this.volumePath(source.id), this.format, `could not clone volume ${source.id} into volume ${volume.id}`);
  }

  async createVolumeFromImage(volume: VolumeSpec, image: ImageSource): Promise<{ cloned: boolean }> {
    const failure = `could not create volume ${volume.id} from image ${image.id}`;
    const format = qemuFormat(image.diskFormat, failure);
    const download = this.scratchPath(`volume-${volume.id}`, 'download');
    try {
      // Opened here, not lazily by the stream, so the rm below cannot race a stream that would create it again.
      // The stream closes the file when it ends or is destroyed (a FileHandle's close() would wait for the stream).
      const file = (await open(download, 'wx', 0o600)).createWriteStream();
      try {
        await pipeline(await image.open(), file);
      } catch (error) {
        throw new Error(`${failure}: its data did not arrive: ${(error as Error).message}`, { cause: error });
      } finally {
        file.destroy();
      }
      await this.inTurn(() => checkImageData(download, image.diskFormat, volume.sizeGb, failure));
      await this.copyInto(volume, download, format, failure);
    } finally {
      await rm(download, { force: true });
    }
    return { cloned: false };
  }

  async copyVolumeToImage(volume: VolumeSpec, sink: ImageSink): Promise<void> {
    // qemu-img cannot write qcow2 to a pipe, so the image is made in full first.
    const image = this.scratchPath(`volume-${volume.id}`, 'upload');
    try {
      await this.convert(this.volumePath(volume.id), this.format, image, sink.diskFormat, `could not copy volume ${volume.id} to an image`);
      await uploadFile(image, (data) => sink.upload(data));
    } finally {
      await rm(image, { force: true });
    }
  }

  async extendVolume(volume: VolumeSpec, newSizeGb: number): Promise<void> {
    await this.grow(this.volumePath(volume.id), newSizeGb, `could not extend volume ${volume.id} to ${newSizeGb} GiB`);
  }

  async deleteVolume(volume: VolumeSpec): Promise<void> {
    await rm(this.volumePath(volume.id)).catch(ignoreMissing);
  }

  /**
   * A qcow2 copy of the volume, read with -U so that it works while a VM holds the volume open.
   * Consistent when nothing writes meanwhile; a snapshot of a volume in use is only as good as a
   * copy made while the guest writes (Cinder asks Nova to take those).
   */
  async createSnapshot(snapshot: SnapshotSpec): Promise<void> {
    await this.produce(this.snapshotPath(snapshot.id), (partial) =>
      this.convert(this.volumePath(snapshot.volumeId), this.format, partial, 'qcow2', `could not snapshot volume ${snapshot.volumeId}`),
    );
  }

  async deleteSnapshot(snapshot: SnapshotSpec): Promise<void> {
    await rm(this.snapshotPath(snapshot.id)).catch(ignoreMissing);
  }

  /**
   * The shapes Cinder's drivers return, for Nova's volume drivers of the same name:
   * - nfs (Cinder's nfs.py, remotefs.py): `{driver_volume_type: 'nfs', data: {export: 'server:/export',
   *   name: 'volume-<id>', format}}`; the compute host mounts the export and opens `name` in it (or
   *   qemu reaches `nfs://server/export/name` itself).
   * - otherwise `{driver_volume_type: 'local', data: {device_path, format}}` (os-brick's LocalConnector):
   *   the file's path here, for a hypervisor on this host or one that mounts the same directory
   *   at the same path (a GlusterFS volume; Nova no longer has a glusterfs volume driver).
   * `format` is the configured one, never probed: see the class comment.
   */
  async initializeConnection(volume: VolumeSpec, _connector: Connector): Promise<ConnectionInfo> {
    const path = this.volumePath(volume.id);
    await stat(path).catch((error: Error) => {
      throw new Error(`cannot attach volume ${volume.id}: ${error.message}`);
    });
    if (this.nfsShare !== undefined) {
      return { driver_volume_type: 'nfs', data: { export: this.nfsShare, name: basename(path), format: this.format } };
    }
    return { driver_volume_type: 'local', data: { device_path: path, format: this.format } };
  }

  async terminateConnection(_volume: VolumeSpec, _connector: Connector): Promise<void> {
    // Nothing was set up for the host: the file stays where it is.
  }

  /** A new volume holding what `source` (a file in `format`) holds, grown to the volume's size. */
  private async copyInto(volume: VolumeSpec, source: string, format: string, failure: string): Promise<void> {
    await this.produce(this.volumePath(volume.id), async (partial) => {
      await this.convert(source, format, partial, this.format, failure);
      await this.grow(partial, volume.sizeGb, failure);
    });
  }

  /** Grows the image at `path` (in the volumes' format) to `sizeGb`; refuses to shrink it. */
  private async grow(path: string, sizeGb: number, failure: string): Promise<void> {
    const size = (await this.inTurn(() => imageInfo(path, this.format, failure)))['virtual-size'];
    if (size > sizeGb * GIB) {
      throw new Error(`${failure}: it already holds ${gib(size)} GiB, and volumes never shrink`);
    }
    if (size < sizeGb * GIB) {
      await this.inTurn(() => qemuImg(['resize', '-q', '-f', this.format, path, String(sizeGb * GIB)], failure));
    }
  }

  /** Copies an image from one format to another; reads with -U, as the source may be attached to a running VM. */
  private async convert(source: string, sourceFormat: string, target: string, targetFormat: string, failure: string): Promise<void> {
    await this.inTurn(() => qemuImg(['convert', '-U', '-f', sourceFormat, '-O', targetFormat, source, target], failure));
  }

  /** Runs `work` (a qemu-img call) at once, or on glusterfs after the ones queued before it. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.storageProtocol !== 'glusterfs') {
      return work();
    }
    const turn = this.queue.then(work);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Makes `target` by `make(partial)` under a temporary name, then renames it into place; a failure
   * removes the temporary file. qemu-img flushes what it writes before it exits.
   */
  private async produce(target: string, make: (partial: string) => Promise<unknown>): Promise<void> {
    const partial = this.scratchPath(basename(target), 'partial');
    try {
      await make(partial);
      // Not readable by every local user; the hypervisor's group or libvirt's dynamic ownership gets it (Cinder's secure NAS permissions).
      await chmod(partial, 0o660);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await syncDirectory(this.directory);
  }

  private async provisionedBytes(): Promise<number> {
    const files = (await readdir(this.directory)).filter((name) => name.startsWith('volume-') || name.startsWith('snapshot-'));
    const sizes = await Promise.all(
      files.map((name) =>
        // A file deleted meanwhile holds nothing.
        virtualSize(join(this.directory, name), name.startsWith('snapshot-') ? 'qcow2' : this.format).catch((error: NodeJS.ErrnoException) => {
          ignoreMissing(error);
          return 0;
        }),
      ),
    );
    return sizes.reduce((sum, size) => sum + size, 0);
  }

  /** A hidden, unique name in the directory for a file in the making. */
  private scratchPath(name: string, purpose: string): string {
    return join(this.directory, `.${name}.${randomBytes(4).toString('hex')}.${purpose}`);
  }

  private volumePath(id: string): string {
    return join(this.directory, `volume-${this.checkedId(id)}`);
  }

  private snapshotPath(id: string): string {
    return join(this.directory, `snapshot-${this.checkedId(id)}`);
  }

  /** An id is part of a file name: nothing in it may lead out of the directory. */
  private checkedId(id: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) {
      throw new Error(`'${id}' is not a volume or snapshot id`);
    }
    return id;
  }
}
