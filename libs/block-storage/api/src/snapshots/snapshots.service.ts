import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { VOLUME_AGENT_PATTERNS } from '@overcast/block-storage/contracts';
import { BackendEntity, SnapshotEntity, VolumeEntity } from '@overcast/block-storage/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AgentCommands } from '../agents/agent-commands';
import { OperationOutcomes } from '../agents/operation-outcomes';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { booleanText, bodyMember, metadataInput, nameInput } from '../common/body';
import { type Caller } from '../common/caller';
import { listScope } from '../common/query';
import { visibleRow } from '../common/visible-row';
import { listPage, type View } from '../common/cinder-list';
import { type MetadataOwner } from '../common/metadata.controller';
import { type ApiVersion } from '../common/microversion';
import { QuotasService } from '../quotas/quotas.service';
import { VolumesService } from '../volumes/volumes.service';

const createSchema = z.object({
  // Cinder looks a null volume up, and does not find it: a 404, not a 400.
  volume_id: z.uuid('is not a valid UUID').nullable(),
  force: booleanText().optional(),
  name: nameInput().optional(),
  description: nameInput().optional(),
  display_name: nameInput().optional(),
  display_description: nameInput().optional(),
  metadata: metadataInput().nullable().optional(),
});

const updateSchema = z.object({
  name: nameInput().optional(),
  description: nameInput().optional(),
  display_name: nameInput().optional(),
  display_description: nameInput().optional(),
});

/**
 * Cinder's snapshot view (cinder/api/v3/views/snapshots.py); `extended` adds what its
 * extended-snapshot-attributes extension puts on show and the detailed list.
 */
function snapshotView(snapshot: SnapshotEntity, version: ApiVersion, extended: boolean): View {
  return {
    id: snapshot.id,
    created_at: snapshot.createdAt.toISOString(),
    updated_at: snapshot.updatedAt.toISOString(),
    name: snapshot.name,
    description: snapshot.description,
    volume_id: snapshot.volumeId,
    status: snapshot.status,
    size: snapshot.size,
    metadata: snapshot.metadata,
    ...(extended
      ? {
          'os-extended-snapshot-attributes:project_id': snapshot.projectId,
          'os-extended-snapshot-attributes:progress': snapshot.status === 'available' ? '100%' : '0%',
        }
      : {}),
    ...(version.atLeast('3.14') ? { group_snapshot_id: null } : {}),
    ...(version.atLeast('3.41') ? { user_id: snapshot.userId } : {}),
  };
}

/** Snapshots (Cinder's `snapshots`): taken by the volume's backend, deleted before their volume. */
@Injectable()
export class SnapshotsService implements MetadataOwner {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
    private readonly volumes: VolumesService,
    private readonly quotas: QuotasService,
    private readonly agents: AgentCommands,
    private readonly outcomes: OperationOutcomes,
  ) {}

  async visible(caller: Caller, id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<SnapshotEntity> {
    return visibleRow(manager, SnapshotEntity, caller, 'Snapshot', id, lock);
  }

  view(snapshot: SnapshotEntity, version: ApiVersion): View {
    return snapshotView(snapshot, version, true);
  }

  async list(caller: Caller, query: Record<string, unknown>, projectUrl: string, detail: boolean, version: ApiVersion): Promise<unknown> {
    caller.enforce('read');
    const snapshots = await this.dataSource.manager.findBy(SnapshotEntity, listScope(caller, query));
    const views = snapshots.map((snapshot) => ({ ...snapshotView(snapshot, version, detail), project_id: snapshot.projectId }));
    const page = listPage(views, query, {
      url: `${projectUrl}/snapshots${detail ? '/detail' : ''}`,
      maxLimit: this.settings.maxPageSize,
      filters: ['name', 'status', 'volume_id', 'metadata', 'project_id'],
      sortable: ['id', 'name', 'status', 'size', 'created_at', 'updated_at', 'volume_id'],
    });
    const items = page.items.map(({ project_id: _projectId, ...view }) => view);
    return { snapshots: items, ...(page.links.length > 0 ? { snapshots_links: page.links } : {}) };
  }

  async create(caller: Caller, body: unknown, version: ApiVersion): Promise<View> {
    caller.enforce('write');
    const input = bodyMember(body, 'snapshot', createSchema);
    const work = await this.dataSource.transaction(async (manager) => {
      const volume = await this.volumes.visible(caller, input.volume_id ?? 'None', manager, true);
      if (volume.status !== 'available' && !(volume.status === 'in-use' && input.force === true)) {
        throw badRequest(`Invalid volume: Volume ${volume.id} status must be available${input.force === true ? ' or in-use' : ''}, but current status is: ${volume.status}.`);
      }
      if (volume.backendId === null) {
        throw badRequest(`Invalid volume: Volume ${volume.id} is on no backend.`);
      }
      await this.quotas.check(manager, volume.projectId, { snapshots: 1, gigabytes: volume.size }, undefined, volume.volumeTypeId);
      const snapshot = manager.create(SnapshotEntity, {
        id: randomUUID(),
        projectId: volume.projectId,
        userId: caller.auth.userId,
        volumeId: volume.id,
        name: input.name ?? input.display_name ?? null,
        description: input.description ?? input.display_description ?? null,
        size: volume.size,
        status: 'creating',
        metadata: input.metadata ?? {},
      });
      await manager.insert(SnapshotEntity, snapshot);
      return { snapshot, backend: await manager.findOneByOrFail(BackendEntity, { id: volume.backendId }) };
    });
    const { snapshot, backend } = work;
    await this.outcomes.handOver('snapshot.create', snapshot.id, () => this.agents.cast(backend, VOLUME_AGENT_PATTERNS.createSnapshot, { snapshot: { id: snapshot.id, volumeId: snapshot.volumeId, sizeGb: snapshot.size } }));
    return snapshotView(await this.dataSource.manager.findOneByOrFail(SnapshotEntity, { id: snapshot.id }), version, false);
  }

  async update(caller: Caller, id: string, body: unknown, version: ApiVersion): Promise<View> {
    const input = bodyMember(body, 'snapshot', updateSchema);
    return this.dataSource.transaction(async (manager) => {
      const snapshot = await this.visible(caller, id, manager, true);
      caller.enforce('write', snapshot.projectId);
      const name = input.name !== undefined ? input.name : input.display_name;
      const description = input.description !== undefined ? input.description : input.display_description;
      await manager.update(SnapshotEntity, { id }, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
      return snapshotView(await manager.findOneByOrFail(SnapshotEntity, { id }), version, false);
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const work = await this.dataSource.transaction(async (manager) => {
      const snapshot = await this.visible(caller, id, manager, true);
      caller.enforce('write', snapshot.projectId);
      if (snapshot.status !== 'available' && snapshot.status !== 'error') {
        throw badRequest(`Invalid snapshot: Snapshot status must be available or error, but current status is: ${snapshot.status}.`);
      }
      const volume = await manager.findOneByOrFail(VolumeEntity, { id: snapshot.volumeId });
      const backend = volume.backendId === null ? null : await manager.findOneBy(BackendEntity, { id: volume.backendId });
      if (backend === null) {
        await manager.delete(SnapshotEntity, { id });
        return undefined;
      }
      await manager.update(SnapshotEntity, { id }, { status: 'deleting' });
      return { snapshot: { ...snapshot, status: 'deleting' as const }, backend };
    });
    if (work !== undefined) {
      await this.outcomes.handOver('snapshot.delete', id, () => this.agents.cast(work.backend, VOLUME_AGENT_PATTERNS.deleteSnapshot, { snapshot: { id, volumeId: work.snapshot.volumeId, sizeGb: work.snapshot.size } }));
    }
  }

  async resetStatus(caller: Caller, id: string, body: unknown): Promise<void> {
    const { status } = bodyMember(body, 'os-reset_status', z.object({ status: z.enum(['available', 'error', 'creating', 'deleting', 'error_deleting']) }));
    await this.dataSource.transaction(async (manager) => {
      const snapshot = await this.visible(caller, id, manager, true);
      caller.enforce('volume_extension:snapshot_admin_actions:reset_status', snapshot.projectId);
      await manager.update(SnapshotEntity, { id }, { status });
    });
  }

  async metadataOf(caller: Caller, id: string): Promise<Record<string, string>> {
    caller.enforce('read');
    return (await this.visible(caller, id)).metadata;
  }

  async changeMetadata(caller: Caller, id: string, change: (current: Record<string, string>) => Record<string, string>): Promise<Record<string, string>> {
    return this.dataSource.transaction(async (manager) => {
      const snapshot = await this.visible(caller, id, manager, true);
      caller.enforce('write', snapshot.projectId);
      const metadata = change(snapshot.metadata);
      await manager.update(SnapshotEntity, { id }, { metadata });
      return metadata;
    });
  }
}
