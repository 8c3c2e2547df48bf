import { type ImageEntity } from '@overcast/image/data-access';
import { faultForStatus, OpenStackError } from '@overcast/shared/core';
import { applyImagePatch, checkImageCreate, type ImageCreateOptions, isGlanceError, type MutableImageAttribute } from '../schemas/image-properties';
import { imageView } from './image-view';

/** Runs Glance's own checks, turning the errors they raise into our error type (with their headers). */
export function glanceChecked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isGlanceError(error)) {
      throw new OpenStackError(faultForStatus(error.status), error.message, undefined, error.headers);
    }
    throw error;
  }
}

/** The fields of a new image from a `POST /v2/images` body, checked as Glance checks it. */
export function imageFromCreateRequest(body: unknown, options: ImageCreateOptions): Partial<ImageEntity> & { id?: string } {
  const input = glanceChecked(() => checkImageCreate(body, options));
  return {
    ...(input.id === undefined ? {} : { id: input.id.toLowerCase() }),
    name: input.name,
    visibility: input.visibility,
    protected: input.protected,
    osHidden: input.os_hidden,
    owner: input.owner,
    diskFormat: input.disk_format,
    containerFormat: input.container_format,
    minDisk: input.min_disk,
    minRam: input.min_ram,
    tags: input.tags,
    properties: input.properties,
  };
}

/** The entity field behind each attribute a patch may set. */
const ENTITY_FIELDS: Record<MutableImageAttribute, keyof ImageEntity> = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'osHidden',
  owner: 'owner',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  min_disk: 'minDisk',
  min_ram: 'minRam',
  tags: 'tags',
};

/** Applies a JSON patch (already parsed) to the image, as Glance does, and returns what changed. */
export function patchImage(image: ImageEntity, operations: unknown, options: { isAdmin: boolean; contentType: string | undefined; canModify: boolean }): Partial<ImageEntity> {
  const result = glanceChecked(() => applyImagePatch(imageView(image), operations, options));
  const changes: Record<string, unknown> = { properties: Object.fromEntries(Object.entries(result.properties).map(([key, value]) => [key, String(value)])) };
  for (const [attribute, value] of Object.entries(result.attributes)) {
    changes[ENTITY_FIELDS[attribute as MutableImageAttribute]] = value;
  }
  return changes as Partial<ImageEntity>;
}
