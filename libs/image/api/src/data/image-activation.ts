import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IMAGE_EVENTS } from '@overcast/image/contracts';
import { ImageEntity, type ImageStatus } from '@overcast/image/data-access';
import { type ImageStore, type StoredData } from '@overcast/image/drivers';
import { conflict, OpenStackError } from '@overcast/shared/core';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { Repository } from 'typeorm';
import { type ImageSettings } from '../image.config';
import { IMAGE_SETTINGS } from '../image.tokens';
import { ImagesService } from '../images/images.service';
import { ImageTooLargeError, UploadMeter } from './upload-meter';

/** One pass of image data into one store, measured on its way in. */
export interface WrittenData {
  store: ImageStore;
  stored: StoredData;
  /** MD5, hex (Glance's `checksum`). */
  checksum: string;
  /** SHA-512, hex (`os_hash_value`). */
  sha512: string;
  virtualSize: number | null;
}

/**
 * Changes to an image's custom properties, applied in the same SQL statement as the status change
 * (`properties - keys || values`), so that a PATCH running meanwhile is neither lost nor clobbered.
 */
export interface PropertyChanges {
  remove?: readonly string[];
  set?: Readonly<Record<string, string>>;
}

/**
 * The columns of a conditional `UPDATE images` that applies `changes` to `properties`, with the
 * parameters they use; spread both into a TypeORM update query builder.
 */
export function propertyUpdate(changes: PropertyChanges | undefined): { set: { properties?: () => string }; parameters: Record<string, unknown> } {
  if (!changes || ((changes.remove ?? []).length === 0 && Object.keys(changes.set ?? {}).length === 0)) {
    return { set: {}, parameters: {} };
  }
  return {
    set: { properties: () => '(properties - CAST(:propertiesRemoved AS text[])) || CAST(:propertiesSet AS jsonb)' },
    parameters: { propertiesRemoved: [...(changes.remove ?? [])], propertiesSet: JSON.stringify(changes.set ?? {}) },
  };
}

/**
 * The step every way of giving an image its data ends with (an upload, an interoperable import):
 * the data streams through the meter (size cap, MD5, SHA-512, a qcow2 header's virtual size) into a
 * store, and the image becomes active with what the meter saw and where the store put it.
 */
@Injectable()
export class ImageActivation {
  private readonly logger = new Logger('ImageActivation');

  constructor(
    @InjectRepository(ImageEntity, 'image') private readonly images: Repository<ImageEntity>,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageSettings,
    private readonly imagesService: ImagesService,
  ) {}

  /**
   * Streams `data` into `store` as the image's data. If it fails (the source errors, the store
   * fails, the size cap is passed: a 413) the store keeps nothing and the error is thrown; the
   * image's status is the caller's to put back.
   */
  async write(image: Pick<ImageEntity, 'id' | 'diskFormat'>, store: ImageStore, data: Readable): Promise<WrittenData> {
    const meter = new UploadMeter(this.settings.imageSizeCap);
    // A source that fails (a client going away, a download cut off) errors the meter; the store sees that.
    pipeline(data, meter, () => undefined);
    try {
      const stored = await store.add(image.id, meter);
      return { store, stored, checksum: meter.checksum, sha512: meter.sha512Hex, virtualSize: meter.virtualSize(image.diskFormat) };
    } catch (error) {
      if (error instanceof ImageTooLargeError) {
        throw new OpenStackError('payloadTooLarge', error.message);
      }
      throw error;
    }
  }

  /** Removes data written for an image that will not use it; a failure is logged, not thrown (this is compensation). */
  async discard(imageId: string, written: readonly WrittenData[]): Promise<void> {
    for (const { store, stored } of written) {
      await store.delete(stored.location).catch((error: unknown) => this.logger.warn(`removing data of image ${imageId} from store ${store.id} failed: ${String(error)}`));
    }
  }

  /**
   * Moves the image from `from` to active with the written data (one location per store), in one
   * conditional update that also applies `properties`. An image that is no longer in `from` (it was
   * deleted meanwhile) gets nothing: the data is removed and the answer is a 409. Publishes
   * `image.upload` and `image.activate`.
   */
  async activate(image: ImageEntity, from: ImageStatus, written: readonly WrittenData[], properties?: PropertyChanges): Promise<ImageEntity> {
    const [first] = written;
    if (!first) {
      throw new Error(`image ${image.id} cannot become active without data`);
    }
    if (written.some((data) => data.stored.size !== first.stored.size || data.checksum !== first.checksum || data.sha512 !== first.sha512)) {
      await this.discard(image.id, written);
      throw new Error(`the stores received different data for image ${image.id}`);
    }
    const changes = propertyUpdate(properties);
    const activated = await this.images
      .createQueryBuilder()
      .update(ImageEntity)
      .set({
        status: 'active',
        size: first.stored.size,
        virtualSize: first.virtualSize,
        checksum: first.checksum,
        osHashAlgo: 'sha512',
        osHashValue: first.sha512,
        locations: written.map(({ store, stored }) => ({ url: stored.location, store: store.id })),
        updatedAt: new Date(),
        ...changes.set,
      })
      .where('id = :id AND status = :from', { id: image.id, from })
      .setParameters(changes.parameters)
      .execute();
    if (!activated.affected) {
      // Deleted while the data was arriving: the data has no image left to belong to.
      await this.discard(image.id, written);
      throw conflict(`Image ${image.id} was deleted during the upload.`);
    }
    const active = await this.images.findOneByOrFail({ id: image.id });
    await this.imagesService.notify(IMAGE_EVENTS.uploaded, active);
    await this.imagesService.notify(IMAGE_EVENTS.activated, active);
    return active;
  }
}
