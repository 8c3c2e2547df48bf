import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ImageEntity } from '@overcast/image/data-access';
import { type ByteRange } from '@overcast/image/drivers';
import { type AuthContext, PolicyService } from '@overcast/shared/auth';
import { conflict, forbidden, OpenStackError } from '@overcast/shared/core';
import { type Readable } from 'node:stream';
import { Repository } from 'typeorm';
import { type ImageSettings } from '../image.config';
import { IMAGE_SETTINGS } from '../image.tokens';
import { ImagesService, viewerOf } from '../images/images.service';
import { ImageStores } from './image-stores';
import { ImageActivation, type WrittenData } from './image-activation';

export interface ImageDownload {
  image: ImageEntity;
  /** Undefined when the image has no data yet (Glance answers 204), or the range asked for is outside it. */
  data?: Readable;
  range?: ByteRange | 'unsatisfiable';
}

/** A `Range: bytes=…` header against an image of `size` bytes: the range, or 'unsatisfiable'. */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) {
    return undefined;
  }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    return 'unsatisfiable';
  }
  const [first, last] = [match[1] as string, match[2] as string];
  const range = first === '' ? { start: Math.max(size - Number(last), 0), end: size - 1 } : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
  return range.start > range.end || range.start >= size ? 'unsatisfiable' : range;
}

/**
 * Image data in and out: an upload moves the image queued → saving → active, streaming through
 * the meter into a store; if it breaks off, the store keeps nothing and the image is queued again.
 */
@Injectable()
export class ImageDataService {
  constructor(
    @InjectRepository(ImageEntity, 'image') private readonly images: Repository<ImageEntity>,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageSettings,
    private readonly imagesService: ImagesService,
    private readonly stores: ImageStores,
    private readonly policy: PolicyService,
    private readonly activation: ImageActivation,
  ) {}

  async upload(auth: AuthContext, id: string, body: Readable, declaredLength: number | undefined, storeId: string | undefined): Promise<void> {
    const image = await this.imagesService.changeable(auth, id, 'upload_image');
    const store = this.stores.pick(storeId);
    if (declaredLength !== undefined && declaredLength > this.settings.imageSizeCap) {
      throw new OpenStackError('payloadTooLarge', `Image exceeds the size limit of ${this.settings.imageSizeCap} bytes.`);
    }
    // Only a queued image takes data, and only one upload at a time: the status is the lock.
    const { affected } = await this.images.update({ id: image.id, status: 'queued' }, { status: 'saving', updatedAt: new Date() });
    if (!affected) {
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`);
    }
    let written: WrittenData;
    try {
      written = await this.activation.write(image, store, body);
    } catch (error) {
      await this.images.update({ id: image.id, status: 'saving' }, { status: 'queued', updatedAt: new Date() });
      throw error;
    }
    await this.activation.activate(image, 'saving', [written]);
  }

  async download(auth: AuthContext, id: string, rangeHeader: string | undefined): Promise<ImageDownload> {
    const image = await this.imagesService.visible(auth, id);
    this.policy.enforce('download_image', auth, { owner: image.owner ?? '' });
    if (image.status === 'deactivated' && !viewerOf(auth, this.policy).isAdmin) {
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
    }
    const location = image.locations[0];
    if (!location || image.size === null) {
      return { image };
    }
    const range = parseRange(rangeHeader, image.size);
    if (range === 'unsatisfiable') {
      return { image, range };
    }
    return { image, range, data: await this.stores.storeOf(location).get(location.url, range) };
  }
}
