import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { IMAGE_EVENTS, type ImageEvent } from '@overcast/image/contracts';
import { ImageInUseError } from '@overcast/image/drivers';
import { ImageEntity, type ImageStatus } from '@overcast/image/data-access';
import { type AuthContext, PolicyService } from '@overcast/shared/auth';
import { MessageBus } from '@overcast/shared/bus';
import { badRequest, conflict, forbidden, notFound, OpenStackError } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, Repository } from 'typeorm';
import { IMAGE_SETTINGS } from '../image.tokens';
import { type ImageSettings } from '../image.config';
import { ImageStores } from '../data/image-stores';
import { StagingArea } from '../import/staging-area';
import { imageView } from './image-view';
import { orderAndPage, parseSort, type Viewer, whereListed, whereTime, whereVisible } from './image-query';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An image id from a path: anything but a UUID cannot name an image, so it is not found. */
export function checkImageId(id: string): string {
  if (!UUID.test(id)) {
    throw notFound(`No image found with ID ${id}`);
  }
  return id.toLowerCase();
}

/**
 * A filter value with Glance's operators: `in:a,"b,c"` lists alternatives, `eq:a` is plain a; any
 * other `word:` prefix is an unknown operator.
 */
function filterValues(value: string): string[] {
  const match = /^([a-z]+):(.*)$/s.exec(value);
  if (!match) {
    return [value];
  }
  const [, operator, operand = ''] = match;
  if (operator === 'eq') {
    return [operand];
  }
  if (operator === 'in') {
    return [...operand.matchAll(/"([^"]*)"|([^,]+)/g)].map((item) => item[1] ?? item[2] ?? '');
  }
  throw badRequest(`Unable to filter by unknown operator '${operator}'.`);
}

/** What a caller may see and do: the project acting, and cloud admin or not. */
export function viewerOf(auth: AuthContext, policy: PolicyService): Viewer {
  return { projectId: auth.projectId, isAdmin: policy.allows('admin_required', auth) };
}

@Injectable()
export class ImagesService {
  constructor(
    @InjectRepository(ImageEntity, 'image') private readonly images: Repository<ImageEntity>,
    @InjectDataSource('image') private readonly dataSource: DataSource,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageSettings,
    private readonly policy: PolicyService,
    private readonly stores: ImageStores,
    private readonly staging: StagingArea,
    private readonly bus: MessageBus,
  ) {}

  /** The image if the caller may see it; another project's private image is a 404, as in Glance. */
  async visible(auth: AuthContext, id: string, manager?: EntityManager): Promise<ImageEntity> {
    const query = (manager ?? this.dataSource.manager).getRepository(ImageEntity).createQueryBuilder('image').where('image.id = :id', { id: checkImageId(id) });
    if (manager) {
      // Inside a transaction: hold the row until it commits, so concurrent changes queue up.
      query.setLock('pessimistic_write');
    }
    const image = await whereVisible(query, viewerOf(auth, this.policy)).getOne();
    if (!image) {
      throw notFound(`No image found with ID ${id}`);
    }
    return image;
  }

  /** The image, visible to the caller and theirs to change by `action`'s rule (403 if not). */
  async changeable(auth: AuthContext, id: string, action: string, manager?: EntityManager): Promise<ImageEntity> {
    const image = await this.visible(auth, id, manager);
    this.policy.enforce(action, auth, { owner: image.owner ?? '' });
    return image;
  }

  async create(auth: AuthContext, fields: Partial<ImageEntity> & { id?: string }): Promise<ImageEntity> {
    const owner = fields.owner ?? auth.projectId ?? null;
    if (owner !== auth.projectId) {
      this.policy.enforce('set_image_owner', auth);
    }
    this.policy.enforce('add_image', auth, { owner: owner ?? '' });
    this.enforceVisibility(auth, fields.visibility ?? 'shared', owner);
    const now = new Date();
    const image = this.images.create({
      name: null,
      visibility: 'shared',
      protected: false,
      osHidden: false,
      diskFormat: null,
      containerFormat: null,
      minDisk: 0,
      minRam: 0,
      properties: {},
      tags: [],
      ...fields,
      id: fields.id ?? randomUUID(),
      owner,
      status: 'queued',
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      locations: [],
      createdAt: now,
      updatedAt: now,
    });
    if (await this.images.existsBy({ id: image.id })) {
      throw conflict(`Image with identifier ${image.id} already exists!`);
    }
    await this.images.insert(image);
    await this.notify(IMAGE_EVENTS.created, image);
    return image;
  }

  /** Publicizing is the cloud admin's; community is the owner's (Glance's publicize/communitize_image). */
  enforceVisibility(auth: AuthContext, visibility: string, owner: string | null): void {
    if (visibility === 'public') {
      this.policy.enforce('publicize_image', auth);
    } else if (visibility === 'community') {
      this.policy.enforce('communitize_image', auth, { owner: owner ?? '' });
    }
  }

  async list(auth: AuthContext, query: Record<string, unknown>, filters: Record<string, string>, tags: string[]): Promise<{ images: ImageEntity[]; limit: number }> {
    this.policy.enforce('get_images', auth);
    const limit = this.pageSize(query['limit']);
    const builder = this.images.createQueryBuilder('image');
    whereListed(builder, viewerOf(auth, this.policy), filters['visibility'], filters['member_status']);
    this.applyFilters(builder, filters);
    if (tags.length > 0) {
      builder.andWhere('image.tags @> :tags', { tags });
    }
    const markerId = filters['marker'];
    const marker = markerId === undefined ? undefined : await this.markerImage(auth, markerId);
    orderAndPage(builder, parseSort(query), marker);
    return { images: await builder.limit(limit).getMany(), limit };
  }

  private pageSize(raw: unknown): number {
    if (raw === undefined) {
      return this.settings.defaultPageSize;
    }
    const text = Array.isArray(raw) ? String(raw[0]) : String(raw);
    if (!/^\d+$/.test(text)) {
      throw badRequest('limit param must be an integer');
    }
    const limit = Number(text);
    if (limit < 0) {
      throw badRequest('limit param must be positive');
    }
    return Math.min(limit, this.settings.maxPageSize);
  }

  /** Glance: an unknown marker is a 400, one the caller may not see a 403. */
  private async markerImage(auth: AuthContext, markerId: string): Promise<ImageEntity> {
    const marker = UUID.test(markerId) ? await this.images.findOneBy({ id: markerId.toLowerCase() }) : null;
    if (!marker) {
      throw badRequest(`No image found with ID ${markerId}`);
    }
    try {
      return await this.visible(auth, markerId);
    } catch (error) {
      if (error instanceof OpenStackError && error.status === 404) {
        throw forbidden(`Forbidding request, image ${markerId} not visible`);
      }
      throw error;
    }
  }

  private applyFilters(builder: ReturnType<Repository<ImageEntity>['createQueryBuilder']>, filters: Record<string, string>): void {
    const exact: Record<string, string> = { name: 'image.name', status: 'image.status', owner: 'image.owner', disk_format: 'image.disk_format', container_format: 'image.container_format', id: 'image.id', checksum: 'image.checksum', os_hash_value: 'image.os_hash_value' };
    const numeric: Record<string, string> = { size: 'image.size', virtual_size: 'image.virtual_size', min_disk: 'image.min_disk', min_ram: 'image.min_ram' };
    const handled = new Set(['visibility', 'member_status', 'marker', 'limit', 'sort', 'sort_key', 'sort_dir', 'tag', 'size_min', 'size_max', 'created_at', 'updated_at', 'os_hidden', 'protected']);
    for (const [name, value] of Object.entries(filters)) {
      const column = exact[name];
      if (column !== undefined) {
        builder.andWhere(`${column} IN (:...filter_${name})`, { [`filter_${name}`]: filterValues(value) });
        continue;
      }
      const numericColumn = numeric[name];
      if (numericColumn !== undefined) {
        if (!/^\d+$/.test(value)) {
          throw badRequest(`Invalid ${name} value: ${value}`);
        }
        builder.andWhere(`${numericColumn} = :filter_${name}`, { [`filter_${name}`]: Number(value) });
        continue;
      }
      if (!handled.has(name)) {
        // Any other name filters on a custom property's value.
        builder.andWhere(`image.properties ->> :property_${name} = :property_value_${name}`, { [`property_${name}`]: name, [`property_value_${name}`]: value });
      }
    }
    for (const [bound, operator] of [
      ['size_min', '>='],
      ['size_max', '<='],
    ] as const) {
      const value = filters[bound];
      if (value !== undefined) {
        if (!/^\d+$/.test(value)) {
          throw badRequest('Unable to filter on a range with a non-numeric value.');
        }
        builder.andWhere(`image.size ${operator} :${bound}`, { [bound]: Number(value) });
      }
    }
    for (const field of ['created_at', 'updated_at'] as const) {
      const value = filters[field];
      if (value !== undefined) {
        whereTime(builder, field, value);
      }
    }
    for (const flag of ['os_hidden', 'protected'] as const) {
      // Glance lowercases the value first: the CLI sends `os_hidden=True`.
      const value = (filters[flag] ?? (flag === 'os_hidden' ? 'false' : undefined))?.toLowerCase();
      if (value !== undefined) {
        if (value !== 'true' && value !== 'false') {
          throw badRequest(`Invalid value '${value}' for '${flag}' filter. Valid values are 'true' or 'false'.`);
        }
        builder.andWhere(`image.${flag} = :${flag}`, { [flag]: value === 'true' });
      }
    }
  }

  /** Applies `change` to the image in one transaction; side effects (events) after it commits. */
  async update(auth: AuthContext, id: string, action: string, change: (image: ImageEntity) => void | Promise<void>): Promise<ImageEntity> {
    const image = await this.dataSource.transaction(async (manager) => {
      const current = await this.changeable(auth, id, action, manager);
      await change(current);
      current.updatedAt = new Date();
      await manager.getRepository(ImageEntity).save(current);
      return current;
    });
    await this.notify(IMAGE_EVENTS.updated, image);
    return image;
  }

  async setStatus(auth: AuthContext, id: string, action: 'deactivate' | 'reactivate'): Promise<void> {
    const [from, to]: [ImageStatus, ImageStatus] = action === 'deactivate' ? ['active', 'deactivated'] : ['deactivated', 'active'];
    const image = await this.changeable(auth, id, action);
    if (image.status === to) {
      return;
    }
    if (image.status !== from) {
      throw forbidden(`Not allowed to ${action} image in status '${image.status}'`);
    }
    const { affected } = await this.images.update({ id: image.id, status: from }, { status: to, updatedAt: new Date() });
    if (!affected) {
      throw conflict(`Image ${image.id} changed status while it was being ${action}d; try again.`);
    }
    await this.notify(action === 'deactivate' ? IMAGE_EVENTS.deactivated : IMAGE_EVENTS.reactivated, { ...image, status: to });
  }

  async delete(auth: AuthContext, id: string): Promise<void> {
    const image = await this.changeable(auth, id, 'delete_image');
    if (image.protected) {
      throw forbidden(`Image ${image.id} is protected and cannot be deleted.`);
    }
    if (image.status === 'saving' || image.status === 'importing') {
      throw conflict(`Image ${image.id} is being uploaded; it can be deleted once the upload ends.`);
    }
    // The data goes first: a volume or disk cloned from it keeps it (409), and then the image stays.
    for (const location of image.locations) {
      try {
        await this.stores.delete(location);
      } catch (error) {
        if (error instanceof ImageInUseError) {
          throw conflict(`Image ${image.id} could not be deleted because it is in use: ${error.message}`);
        }
        throw error;
      }
    }
    await this.images.delete({ id: image.id });
    // An image deleted while `uploading` has data in the staging area (interoperable import).
    await this.staging.delete(image.id);
    await this.notify(IMAGE_EVENTS.deleted, { ...image, status: 'deleted' });
  }

  async notify(event: ImageEvent, image: ImageEntity): Promise<void> {
    await this.bus.publish(event, imageView(image));
  }
}
