import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type VolumeSource, VOLUME_AGENT_PATTERNS } from '@overcast/block-storage/contracts';
import { AttachmentEntity, BackendEntity, SnapshotEntity, VolumeEntity, VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { z } from 'zod';
import { AgentCommands } from '../agents/agent-commands';
import { OperationOutcomes } from '../agents/operation-outcomes';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { booleanText, bodyMember, integerText, metadataInput, nameInput } from '../common/body';
import { type Caller } from '../common/caller';
import { listScope } from '../common/query';
import { visibleRow } from '../common/visible-row';
import { listPage, type View } from '../common/cinder-list';
import { type MetadataOwner } from '../common/metadata.controller';
import { type GlanceImage, ImageClient } from '../images/image-client';
import { MessagesService } from '../messages/messages.service';
import { QuotasService } from '../quotas/quotas.service';
import { BackendsService, NoValidBackendError, type PlacementRequest } from '../scheduler/backends.service';
import { VolumeTypesService } from '../types/volume-types.service';
import { volumeView } from './volume-view';

const GIB = 1024 ** 3;

const createSchema = z.object({
  name: nameInput().optional(),
  description: nameInput().optional(),
  display_name: nameInput().optional(),
  display_description: nameInput().optional(),
  size: integerText(1).nullable().optional(),
  volume_type: z.string().nullable().optional(),
  snapshot_id: z.uuid('is not a valid UUID').nullable().optional(),
  source_volid: z.uuid('is not a valid UUID').nullable().optional(),
  imageRef: z.string().nullable().optional(),
  image_id: z.string().nullable().optional(),
  availability_zone: z.string().nullable().optional(),
  metadata: metadataInput().nullable().optional(),
  multiattach: booleanText().optional(),
  consistencygroup_id: z.null().optional(),
  backup_id: z.null().optional(),
  group_id: z.null().optional(),
});

const updateSchema = z.object({
  name: nameInput().optional(),
  description: nameInput().optional(),
  display_name: nameInput().optional(),
  display_description: nameInput().optional(),
  metadata: metadataInput().optional(),
});

const VOLUME_FILTERS = ['name', 'status', 'metadata', 'bootable', 'availability_zone', 'volume_type', 'project_id', 'user_id', 'multiattach', 'snapshot_id', 'source_volid'];
const VOLUME_SORT_KEYS = ['id', 'name', 'size', 'status', 'created_at', 'updated_at', 'availability_zone', 'bootable', 'volume_type', 'project_id', 'user_id'];

/** Statuses a volume can be deleted from (Cinder's volume API). */
const DELETABLE = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_managing']);

/** The Glance properties a volume made from an image keeps (`volume_image_metadata`), as Cinder copies them. */
function imageMetadataOf(image: GlanceImage): Record<string, string> {
  const skipped = new Set(['locations', 'direct_url', 'file', 'schema', 'self', 'tags', 'os_hash_value', 'os_hash_algo', 'owner', 'visibility', 'protected', 'os_hidden', 'status', 'created_at', 'updated_at', 'virtual_size', 'stores']);
  const metadata: Record<string, string> = { image_id: image.id, image_name: image.name ?? '' };
  for (const [key, value] of Object.entries(image)) {
    if (!skipped.has(key) && key !== 'id' && key !== 'name' && value !== null && value !== undefined) {
      metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return metadata;
}

/** Volumes (Cinder's `volumes`): the create flow (validate, quota, schedule, hand to the agent), reads, update, delete. */
@Injectable()
export class VolumesService implements MetadataOwner {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
    private readonly types: VolumeTypesService,
    private readonly quotas: QuotasService,
    private readonly backends: BackendsService,
    private readonly images: ImageClient,
    private readonly messages: MessagesService,
    private readonly agents: AgentCommands,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /** The volume, if the caller may see it; Cinder's 404 otherwise. */
  async visible(caller: Caller, id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<VolumeEntity> {
    return visibleRow(manager, VolumeEntity, caller, 'Volume', id, lock);
  }

  /** The volumes' views; `extended` for show and list (see VolumeViewContext). */
  async views(volumes: VolumeEntity[], caller: Caller, projectUrl: string, extended: boolean, manager: EntityManager = this.dataSource.manager): Promise<View[]> {
    const ids = volumes.map((volume) => volume.id);
    const attachments = ids.length === 0 ? [] : await manager.findBy(AttachmentEntity, { volumeId: In(ids) });
    const typeIds = [...new Set(volumes.map((volume) => volume.volumeTypeId))];
    const types = typeIds.length === 0 ? [] : await manager.findBy(VolumeTypeEntity, { id: In(typeIds) });
    const typeNames = new Map(types.map((type) => [type.id, type.name]));
    const showHost = caller.allows('volume_extension:volume_host_attribute');
    return volumes.map((volume) =>
      volumeView(volume, { attachments: attachments.filter((attachment) => attachment.volumeId === volume.id), typeName: typeNames.get(volume.volumeTypeId) ?? '', projectUrl, showHost, extended }),
    );
  }

  async view(volume: VolumeEntity, caller: Caller, projectUrl: string, extended: boolean): Promise<View> {
    const [view] = await this.views([volume], caller, projectUrl, extended);
    return view as View;
  }

  async list(caller: Caller, query: Record<string, unknown>, projectUrl: string, detail: boolean): Promise<{ volumes: View[]; volumes_links?: unknown[] }> {
    caller.enforce('read');
    const volumes = await this.dataSource.manager.findBy(VolumeEntity, listScope(caller, query));
    const views = (await this.views(volumes, caller, projectUrl, true)).map((view) => ({ ...view, project_id: view['os-vol-tenant-attr:tenant_id'] }));
    const page = listPage(views, query, { url: `${projectUrl}/volumes${detail ? '/detail' : ''}`, maxLimit: this.settings.maxPageSize, filters: VOLUME_FILTERS, sortable: VOLUME_SORT_KEYS });
    const items = page.items.map(({ project_id: _projectId, ...view }) => (detail ? view : { id: view['id'], name: view['name'], links: view['links'] }));
    return { volumes: items, ...(page.links.length > 0 ? { volumes_links: page.links } : {}) };
  }

  /** `/volumes/summary` (3.12): how many volumes, how many GiB. */
  async summary(caller: Caller, query: Record<string, unknown>): Promise<unknown> {
    caller.enforce('read');
    const volumes = await this.dataSource.manager.findBy(VolumeEntity, listScope(caller, query));
    return { 'volume-summary': { total_size: volumes.reduce((sum, volume) => sum + volume.size, 0), total_count: volumes.length } };
  }

  /**
   * Cinder's create: the source decides the size when none is given and sets a floor, the type
   * the backend, the quota the limit; then one transaction records the volume and claims room on
   * a backend, and the backend's agent gets the work. No backend is an `error` volume with a
   * message, as Cinder's scheduler leaves it.
   */
  async create(caller: Caller, body: unknown, projectUrl: string): Promise<View> {
    caller.enforce('write');
    const input = bodyMember(body, 'volume', createSchema);
    const imageRef = input.imageRef ?? input.image_id ?? undefined;
    const sources = [input.snapshot_id, input.source_volid, imageRef].filter((source) => source !== undefined && source !== null);
    if (sources.length > 1) {
      throw badRequest('Invalid input received: only one of snapshot_id, source_volid and imageRef may be given.');
    }
    const image = imageRef === undefined ? undefined : await this.imageFor(caller, imageRef);
    const id = randomUUID();
    const { volume, placement } = await this.dataSource.transaction(async (manager) => {
      const snapshot = input.snapshot_id ? await this.snapshotSource(manager, caller, input.snapshot_id) : undefined;
      const source = input.source_volid ? await this.volumeSource(manager, caller, input.source_volid) : undefined;
      const origin = snapshot ? await manager.findOneByOrFail(VolumeEntity, { id: snapshot.volumeId }) : source;
      const size = input.size ?? snapshot?.size ?? source?.size;
      if (size === undefined || size === null) {
        throw badRequest(`Invalid input received: Volume size '${String(input.size)}' must be an integer and greater than 0`);
      }
      this.checkSizeAgainstSources(size, { snapshot, source, image });
      const type = origin && input.volume_type === undefined ? await manager.findOneByOrFail(VolumeTypeEntity, { id: origin.volumeTypeId }) : await this.types.resolve(manager, caller, input.volume_type ?? undefined);
      const zone = input.availability_zone ?? origin?.availabilityZone ?? undefined;
      if (zone !== undefined && !(await this.backends.availabilityZones(manager)).some((known) => known.zoneName === zone)) {
        throw badRequest(`Invalid input received: Availability zone '${zone}' is invalid.`);
      }
      await this.quotas.check(manager, caller.projectId, { volumes: 1, gigabytes: size }, size, type.id);
      const multiattach = input.multiattach ?? type.extraSpecs['multiattach'] === '<is> True';
      const row = manager.create(VolumeEntity, {
        id,
        projectId: caller.projectId,
        userId: caller.auth.userId,
        name: input.name ?? input.display_name ?? null,
        description: input.description ?? input.display_description ?? null,
        size,
        status: 'creating',
        attachStatus: 'detached',
        migrationStatus: null,
        volumeTypeId: type.id,
        availabilityZone: zone ?? 'nova',
        host: null,
        backendId: null,
        snapshotId: snapshot?.id ?? null,
        sourceVolid: source?.id ?? null,
        imageMetadata: image ? imageMetadataOf(image) : (origin?.imageMetadata ?? null),
        bootable: image !== undefined || (origin?.bootable ?? false),
        multiattach,
        readOnly: null,
        metadata: input.metadata ?? {},
        launchedAt: null,
      });
      const request: PlacementRequest = { sizeGb: size, volumeBackendName: type.extraSpecs['volume_backend_name'], availabilityZone: zone, multiattach, ...(origin?.backendId ? { backendId: origin.backendId } : {}) };
      const placement = await this.place(manager, row, request);
      await manager.insert(VolumeEntity, row);
      if (placement instanceof NoValidBackendError) {
        await this.messages.recordFailure({ projectId: caller.projectId, resourceType: 'VOLUME', resourceId: id, action: 'schedule allocate volume', reason: placement.message }, manager);
      }
      return { volume: row, placement: placement instanceof NoValidBackendError ? undefined : { backend: placement, source: this.sourceOf(snapshot, source, image) } };
    });
    if (placement !== undefined) {
      await this.outcomes.handOver('volume.create', volume.id, () =>
        this.agents.cast(placement.backend, VOLUME_AGENT_PATTERNS.createVolume, { volume: { id: volume.id, sizeGb: volume.size }, source: placement.source, authToken: caller.auth.rawToken }),
      );
    }
    return this.view(await this.dataSource.manager.findOneByOrFail(VolumeEntity, { id }), caller, projectUrl, false);
  }

  /** Claims a backend for `row` (setting its host), or says why none fits. */
  private async place(manager: EntityManager, row: VolumeEntity, request: PlacementRequest): Promise<BackendEntity | NoValidBackendError> {
    try {
      const backend = await this.backends.claim(manager, request);
      row.backendId = backend.id;
      row.host = BackendsService.poolName(backend);
      row.availabilityZone = backend.availabilityZone;
      return backend;
    } catch (error) {
      if (error instanceof NoValidBackendError) {
        row.status = 'error';
        return error;
      }
      throw error;
    }
  }

  private sourceOf(snapshot: SnapshotEntity | undefined, source: VolumeEntity | undefined, image: GlanceImage | undefined): VolumeSource {
    if (snapshot) {
      return { kind: 'snapshot', snapshot: { id: snapshot.id, volumeId: snapshot.volumeId, sizeGb: snapshot.size } };
    }
    if (source) {
      return { kind: 'volume', volume: { id: source.id, sizeGb: source.size } };
    }
    if (image) {
      return {
        kind: 'image',
        image: { id: image.id, size: image.size ?? 0, diskFormat: image.disk_format ?? 'raw', locations: image.direct_url ? [image.direct_url] : [], fileUrl: this.images.fileUrl(image.id) },
      };
    }
    return { kind: 'blank' };
  }

  private async imageFor(caller: Caller, imageRef: string): Promise<GlanceImage> {
    const image = await this.images.show(caller.auth.rawToken, imageRef);
    if (image.status !== 'active') {
      throw badRequest(`Invalid input received: Image ${image.id} is not active.`);
    }
    return image;
  }

  private checkSizeAgainstSources(size: number, sources: { snapshot?: SnapshotEntity; source?: VolumeEntity; image?: GlanceImage }): void {
    const { snapshot, source, image } = sources;
    if (snapshot && size < snapshot.size) {
      throw badRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.size}GB. They must be >= original snapshot size.`);
    }
    if (source && size < source.size) {
      throw badRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than original volume size ${source.size}GB. They must be >= original volume size.`);
    }
    if (image) {
      const imageGb = Math.ceil((image.size ?? 0) / GIB);
      if (imageGb > size) {
        throw badRequest(`Invalid input received: Size of specified image ${imageGb}GB is larger than volume size ${size}GB.`);
      }
      if (image.min_disk > size) {
        throw badRequest(`Invalid input received: Volume size ${size}GB cannot be smaller than the image minDisk size ${image.min_disk}GB.`);
      }
    }
  }

  private async snapshotSource(manager: EntityManager, caller: Caller, id: string): Promise<SnapshotEntity> {
    const snapshot = await visibleRow(manager, SnapshotEntity, caller, 'Snapshot', id);
    if (snapshot.status !== 'available') {
      throw badRequest(`Invalid input received: Originating snapshot status must be one of 'available' values`);
    }
    return snapshot;
  }

  private async volumeSource(manager: EntityManager, caller: Caller, id: string): Promise<VolumeEntity> {
    const source = await this.visible(caller, id, manager);
    if (source.status !== 'available' && source.status !== 'in-use') {
      throw badRequest(`Invalid input received: Source volume status must be one of 'available', 'in-use' values, not ${source.status}`);
    }
    return source;
  }

  async update(caller: Caller, id: string, body: unknown, projectUrl: string): Promise<View> {
    const input = bodyMember(body, 'volume', updateSchema);
    const volume = await this.dataSource.transaction(async (manager) => {
      const row = await this.visible(caller, id, manager, true);
      caller.enforce('write', row.projectId);
      const name = input.name !== undefined ? input.name : input.display_name;
      const description = input.description !== undefined ? input.description : input.display_description;
      await manager.update(VolumeEntity, { id }, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}), ...(input.metadata !== undefined ? { metadata: input.metadata } : {}) });
      return manager.findOneByOrFail(VolumeEntity, { id });
    });
    return this.view(volume, caller, projectUrl, false);
  }

  /**
   * Cinder's delete: refused while attached, busy, or with snapshots (unless `cascade`, which
   * takes the snapshots first); `force` (admins) skips the status check. A volume that never
   * reached a backend goes at once.
   */
  async delete(caller: Caller, id: string, options: { cascade: boolean; force: boolean }): Promise<void> {
    const work = await this.dataSource.transaction(async (manager) => {
      const volume = await this.visible(caller, id, manager, true);
      caller.enforce(options.force ? 'volume_extension:volume_admin_actions:force_delete' : 'write', volume.projectId);
      if (volume.attachStatus === 'attached' || (await manager.existsBy(AttachmentEntity, { volumeId: id }))) {
        throw badRequest('Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.');
      }
      if (!options.force && !DELETABLE.has(volume.status)) {
        throw badRequest(`Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.`);
      }
      const snapshots = await manager.findBy(SnapshotEntity, { volumeId: id });
      if (snapshots.length > 0 && !options.cascade) {
        throw badRequest(`Invalid volume: Volume ${id} still has dependent snapshots.`);
      }
      const busy = snapshots.find((snapshot) => snapshot.status !== 'available' && snapshot.status !== 'error');
      if (busy) {
        throw badRequest(`Invalid volume: Snapshot ${busy.id} is ${busy.status}; it must be available or error to be deleted with the volume.`);
      }
      const backend = volume.backendId === null ? null : await manager.findOneByOrFail(BackendEntity, { id: volume.backendId });
      if (backend === null) {
        await manager.delete(SnapshotEntity, { volumeId: id });
        await manager.delete(VolumeEntity, { id });
        return undefined;
      }
      await manager.update(VolumeEntity, { id }, { status: 'deleting' });
      await manager.update(SnapshotEntity, { volumeId: id }, { status: 'deleting' });
      return { volume: { ...volume, status: 'deleting' as const }, backend, snapshots };
    });
    if (work === undefined) {
      return;
    }
    const { volume, backend, snapshots } = work;
    await this.outcomes.handOver('volume.delete', id, async () => {
      // The volume's own delete follows once its last snapshot is gone (see OperationOutcomes).
      for (const snapshot of snapshots) {
        await this.agents.cast(backend, VOLUME_AGENT_PATTERNS.deleteSnapshot, { snapshot: { id: snapshot.id, volumeId: id, sizeGb: snapshot.size } });
      }
      if (snapshots.length === 0) {
        await this.agents.cast(backend, VOLUME_AGENT_PATTERNS.deleteVolume, { volume: { id, sizeGb: volume.size } });
      }
    });
  }

  async metadataOf(caller: Caller, id: string): Promise<Record<string, string>> {
    caller.enforce('read');
    return (await this.visible(caller, id)).metadata;
  }

  async changeMetadata(caller: Caller, id: string, change: (current: Record<string, string>) => Record<string, string>): Promise<Record<string, string>> {
    return this.dataSource.transaction(async (manager) => {
      const volume = await this.visible(caller, id, manager, true);
      caller.enforce('write', volume.projectId);
      const metadata = change(volume.metadata);
      await manager.update(VolumeEntity, { id }, { metadata });
      return metadata;
    });
  }
}
