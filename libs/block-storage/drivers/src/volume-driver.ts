import { type BackendCapacity, type ConnectionInfo, type Connector, type SnapshotSpec, type VolumeDriverCapabilities, type VolumeSpec } from '@overcast/block-storage/contracts';
import { type Readable } from 'node:stream';

/** An image to fill a new volume with, as the image service describes it. */
export interface ImageSource {
  id: string;
  /** Bytes of the image's data (its file size, not its virtual size). */
  size: number;
  /** Glance's `disk_format`: raw, qcow2, vmdk, vdi, vhd, vhdx, iso… The data must really be in it. */
  diskFormat: string;
  /**
   * Where the image service keeps the data when it says so (Glance's `direct_url` and
   * `locations`): an `rbd://<fsid>/<pool>/<image>/<snap>` one lets an rbd backend of the same
   * cluster clone the image instead of copying it.
   */
  locations: string[];
  /** The image's data, streamed from the image service. */
  open(): Promise<Readable>;
}

/** Where a volume's data goes to become an image. */
export interface ImageSink {
  /** The format the image was created with; the driver converts the volume's data to it. */
  diskFormat: 'raw' | 'qcow2';
  /** Streams `data` to the image service; resolves once it is stored. */
  upload(data: Readable): Promise<void>;
}

/**
 * One storage backend (Cinder's volume driver): it moves bytes and returns what the hypervisor
 * needs to reach them; it never knows about the database or the API's states. Every operation
 * either completes or throws an Error whose message a user can act on (it becomes the volume's
 * error reason), and leaves nothing behind when it fails. Removing what is already gone is not
 * an error, so a retried delete succeeds.
 */
export abstract class VolumeDriver {
  /** The driver's name in config: `file`, `rbd`, `fake`. */
  abstract readonly driver: string;
  /** Cinder's `storage_protocol` in pool stats: `file`, `nfs`, `glusterfs`, `ceph`… */
  abstract readonly storageProtocol: string;
  abstract readonly capabilities: VolumeDriverCapabilities;

  /** Checks that the backend is usable (tools installed, directory writable, cluster reachable); throws naming what is missing. */
  abstract start(): Promise<void>;

  abstract capacity(): Promise<BackendCapacity>;

  /** An empty volume of `volume.sizeGb` GiB. */
  abstract createVolume(volume: VolumeSpec): Promise<void>;

  /** A volume holding what the snapshot's volume held when it was taken, grown to `volume.sizeGb`. */
  abstract createVolumeFromSnapshot(volume: VolumeSpec, snapshot: SnapshotSpec): Promise<void>;

  /** A volume holding what `source` holds now, grown to `volume.sizeGb`. */
  abstract createClonedVolume(volume: VolumeSpec, source: VolumeSpec): Promise<void>;

  /**
   * A volume holding the image's data (converted from its disk format), grown to `volume.sizeGb`.
   * Refuses data that is not in the declared format, that refers to other files (a backing file),
   * or whose virtual size is more than the volume's. Says whether it cloned instead of copying.
   */
  abstract createVolumeFromImage(volume: VolumeSpec, image: ImageSource): Promise<{ cloned: boolean }>;

  /** Streams the volume's data, in the sink's format, to the image service. */
  abstract copyVolumeToImage(volume: VolumeSpec, sink: ImageSink): Promise<void>;

  /** Grows the volume to `newSizeGb` (never shrinks). */
  abstract extendVolume(volume: VolumeSpec, newSizeGb: number): Promise<void>;

  abstract deleteVolume(volume: VolumeSpec): Promise<void>;

  abstract createSnapshot(snapshot: SnapshotSpec): Promise<void>;

  /** Removes a snapshot; volumes created from it keep their data. */
  abstract deleteSnapshot(snapshot: SnapshotSpec): Promise<void>;

  abstract initializeConnection(volume: VolumeSpec, connector: Connector): Promise<ConnectionInfo>;

  abstract terminateConnection(volume: VolumeSpec, connector: Connector): Promise<void>;
}
