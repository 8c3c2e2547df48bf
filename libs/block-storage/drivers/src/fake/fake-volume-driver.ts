import { Readable } from 'node:stream';
import { type BackendCapacity, type ConnectionInfo, type SnapshotSpec, type VolumeDriverCapabilities, type VolumeSpec } from '@overcast/block-storage/contracts';
import { type ImageSink, type ImageSource, VolumeDriver } from '../volume-driver';

/**
 * A backend with no host effects: it keeps sizes in memory and answers at once. For API and scale
 * tests only (like Nova's fake hypervisor); its capacity is `totalCapacityGb`, thin provisioned.
 */
export class FakeVolumeDriver extends VolumeDriver {
  readonly driver = 'fake';
  readonly storageProtocol = 'fake';
  readonly capabilities: VolumeDriverCapabilities = { cloneImages: false, multiattach: true, extendInUse: true };
  private readonly volumes = new Map<string, number>();
  private readonly snapshots = new Map<string, number>();

  constructor(private readonly totalCapacityGb = 1000) {
    super();
  }

  async start(): Promise<void> {
    // Nothing to check: the fake needs nothing from the host.
  }

  async capacity(): Promise<BackendCapacity> {
    const provisioned = [...this.volumes.values(), ...this.snapshots.values()].reduce((sum, size) => sum + size, 0);
    return {
      totalCapacityGb: this.totalCapacityGb,
      freeCapacityGb: this.totalCapacityGb,
      provisionedCapacityGb: provisioned,
      thinProvisioning: true,
      maxOverSubscriptionRatio: 20,
      reservedPercentage: 0,
    };
  }

  async createVolume(volume: VolumeSpec): Promise<void> {
    this.volumes.set(volume.id, volume.sizeGb);
  }

  async createVolumeFromSnapshot(volume: VolumeSpec, snapshot: SnapshotSpec): Promise<void> {
    this.need(this.snapshots, snapshot.id, 'snapshot');
    this.volumes.set(volume.id, volume.sizeGb);
  }

  async createClonedVolume(volume: VolumeSpec, source: VolumeSpec): Promise<void> {
    this.need(this.volumes, source.id, 'volume');
    this.volumes.set(volume.id, volume.sizeGb);
  }

  async createVolumeFromImage(volume: VolumeSpec, image: ImageSource): Promise<{ cloned: boolean }> {
    if (image.size > volume.sizeGb * 1024 ** 3) {
      throw new Error(`image ${image.id} is larger than the volume's ${volume.sizeGb} GiB`);
    }
    this.volumes.set(volume.id, volume.sizeGb);
    return { cloned: false };
  }

  async copyVolumeToImage(volume: VolumeSpec, sink: ImageSink): Promise<void> {
    this.need(this.volumes, volume.id, 'volume');
    await sink.upload(Readable.from([]));
  }

  async extendVolume(volume: VolumeSpec, newSizeGb: number): Promise<void> {
    const size = this.need(this.volumes, volume.id, 'volume');
    if (newSizeGb < size) {
      throw new Error(`volume ${volume.id} is ${size} GiB: it cannot shrink to ${newSizeGb} GiB`);
    }
    this.volumes.set(volume.id, newSizeGb);
  }

  async deleteVolume(volume: VolumeSpec): Promise<void> {
    this.volumes.delete(volume.id);
  }

  async createSnapshot(snapshot: SnapshotSpec): Promise<void> {
    this.need(this.volumes, snapshot.volumeId, 'volume');
    this.snapshots.set(snapshot.id, snapshot.sizeGb);
  }

  async deleteSnapshot(snapshot: SnapshotSpec): Promise<void> {
    this.snapshots.delete(snapshot.id);
  }

  async initializeConnection(volume: VolumeSpec): Promise<ConnectionInfo> {
    this.need(this.volumes, volume.id, 'volume');
    return { driver_volume_type: 'fake', data: { volume_id: volume.id } };
  }

  async terminateConnection(): Promise<void> {
    // No host holds a connection to a fake volume.
  }

  /** The size of a volume or snapshot the backend has; an error naming it when it has not. */
  private need(items: Map<string, number>, id: string, kind: string): number {
    const size = items.get(id);
    if (size === undefined) {
      throw new Error(`${kind} ${id} is not on this backend`);
    }
    return size;
  }
}
