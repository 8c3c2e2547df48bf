import { type ImageEntity } from '@overcast/image/data-access';

/** Glance's timestamps: UTC to the second, with a Z. */
export function glanceTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** What an image view reveals beyond the image's own fields. */
export interface ImageViewOptions {
  /** Glance's `show_image_direct_url`: an active image's first location, which lets a Ceph backend clone it. */
  showDirectUrl: boolean;
}

/** An image as Glance shows it: custom properties beside the base ones, and its links. */
export function imageView(image: ImageEntity, options: ImageViewOptions = { showDirectUrl: false }): Record<string, unknown> {
  const [first] = image.locations;
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    owner: image.owner,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    virtual_size: image.virtualSize,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    tags: image.tags,
    created_at: glanceTime(image.createdAt),
    updated_at: glanceTime(image.updatedAt),
    ...(image.locations.length > 0 ? { stores: image.locations.map((location) => location.store).join(',') } : {}),
    ...(options.showDirectUrl && image.status === 'active' && first !== undefined ? { direct_url: first.url } : {}),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}
