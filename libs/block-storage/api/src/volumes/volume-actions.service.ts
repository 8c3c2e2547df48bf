import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ConnectionInfo, VOLUME_AGENT_PATTERNS } from '@overcast/block-storage/contracts';
import { AttachmentEntity, BackendEntity, VolumeEntity, type VolumeStatus } from '@overcast/block-storage/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AgentCommands } from '../agents/agent-commands';
import { OperationOutcomes, restingStatus } from '../agents/operation-outcomes';
import { booleanText, bodyMember, integerText } from '../common/body';
import { type Caller } from '../common/caller';
import { ImageClient } from '../images/image-client';
import { QuotasService } from '../quotas/quotas.service';
import { BackendsService } from '../scheduler/backends.service';
import { VolumesService } from './volumes.service';

const RESET_STATUSES = ['available', 'error', 'creating', 'deleting', 'in-use', 'attaching', 'detaching', 'error_deleting', 'maintenance', 'reserved', 'error_extending', 'extending', 'uploading', 'downloading'] as const;

function invalidVolume(volume: VolumeEntity, wanted: string): Error {
  return badRequest(`Invalid volume: Volume ${volume.id} status must be ${wanted}, but current status is: ${volume.status}.`);
}

/** `POST /volumes/{id}/action`: Cinder's volume actions, each checking the state it starts from. */
@Injectable()
export class VolumeActionsService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    private readonly volumes: VolumesService,
    private readonly quotas: QuotasService,
    private readonly backends: BackendsService,
    private readonly images: ImageClient,
    private readonly agents: AgentCommands,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /** Runs `change` on the locked volume in a transaction, after the policy check. */
  private locked<T>(caller: Caller, id: string, rule: string, change: (volume: VolumeEntity, manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const volume = await this.volumes.visible(caller, id, manager, true);
      caller.enforce(rule, volume.projectId);
      return change(volume, manager);
    });
  }

  private async backendOf(manager: EntityManager, volume: VolumeEntity): Promise<BackendEntity> {
    if (volume.backendId === null) {
      throw invalidVolume(volume, 'on a backend');
    }
    return manager.findOneByOrFail(BackendEntity, { id: volume.backendId });
  }

  async extend(caller: Caller, id: string, input: unknown): Promise<void> {
    const { new_size: newSize } = bodyMember(input, 'os-extend', z.object({ new_size: integerText(1) }));
    const work = await this.locked(caller, id, 'write', async (volume, manager) => {
      const backend = await this.backendOf(manager, volume);
      const inUseAllowed = backend.capabilities.extendInUse && volume.status === 'in-use';
      if (volume.status !== 'available' && !inUseAllowed) {
        throw invalidVolume(volume, backend.capabilities.extendInUse ? 'available or in-use' : 'available');
      }
      if (newSize <= volume.size) {
        throw badRequest(`Invalid input received: New size for extend must be greater than current size. (current: ${volume.size}, extended: ${newSize}).`);
      }
      await this.quotas.check(manager, volume.projectId, { gigabytes: newSize - volume.size }, newSize, volume.volumeTypeId);
      await this.backends.claimMore(manager, backend.id, newSize - volume.size);
      await manager.update(VolumeEntity, { id }, { status: 'extending' });
      return { volume: { ...volume, status: 'extending' as VolumeStatus }, backend };
    });
    await this.outcomes.handOver('volume.extend', id, () => this.agents.cast(work.backend, VOLUME_AGENT_PATTERNS.extendVolume, { volume: { id, sizeGb: work.volume.size }, newSizeGb: newSize }), { sizeGb: newSize });
  }

  async setBootable(caller: Caller, id: string, input: unknown): Promise<void> {
    const { bootable } = bodyMember(input, 'os-set_bootable', z.object({ bootable: booleanText() }));
    await this.locked(caller, id, 'write', (_volume, manager) => manager.update(VolumeEntity, { id }, { bootable }));
  }

  async updateReadonly(caller: Caller, id: string, input: unknown): Promise<void> {
    const { readonly } = bodyMember(input, 'os-update_readonly_flag', z.object({ readonly: booleanText() }));
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status !== 'available' && volume.status !== 'in-use') {
        throw invalidVolume(volume, 'available or in-use');
      }
      await manager.update(VolumeEntity, { id }, { readOnly: readonly });
    });
  }

  async resetStatus(caller: Caller, id: string, input: unknown): Promise<void> {
    const body = bodyMember(input, 'os-reset_status', z.object({ status: z.enum(RESET_STATUSES).optional(), attach_status: z.enum(['attached', 'detached']).optional(), migration_status: z.string().nullable().optional() }));
    await this.locked(caller, id, 'volume_extension:volume_admin_actions:reset_status', (_volume, manager) =>
      manager.update(VolumeEntity, { id }, { ...(body.status ? { status: body.status } : {}), ...(body.attach_status ? { attachStatus: body.attach_status } : {}), ...(body.migration_status !== undefined ? { migrationStatus: body.migration_status } : {}) }),
    );
  }

  /** Copies the volume into a new image: the image is made here with the caller's token, its data sent by the agent. */
  async uploadToImage(caller: Caller, id: string, input: unknown): Promise<unknown> {
    const body = bodyMember(
      input,
      'os-volume_upload_image',
      z.object({
        image_name: z.string().min(1, 'is too short').max(255, 'is too long'),
        force: booleanText().optional(),
        disk_format: z.enum(['raw', 'qcow2'], "is not one of ['raw', 'qcow2']").optional(),
        container_format: z.enum(['bare'], "is not one of ['bare']").optional(),
        visibility: z.enum(['public', 'private', 'shared', 'community']).optional(),
        protected: booleanText().optional(),
      }),
    );
    const diskFormat = body.disk_format ?? 'raw';
    const volume = await this.volumes.visible(caller, id);
    caller.enforce('write', volume.projectId);
    if (volume.status !== 'available' && !(volume.status === 'in-use' && body.force === true)) {
      throw invalidVolume(volume, body.force === true ? 'available or in-use' : 'available');
    }
    const properties = Object.fromEntries(Object.entries(volume.imageMetadata ?? {}).filter(([key]) => !['image_id', 'image_name', 'size', 'disk_format', 'container_format', 'checksum', 'min_disk', 'min_ram', 'id', 'name'].includes(key)));
    const image = await this.images.create(caller.auth.rawToken, {
      ...properties,
      name: body.image_name,
      disk_format: diskFormat,
      container_format: body.container_format ?? 'bare',
      min_disk: volume.size,
      ...(body.visibility ? { visibility: body.visibility } : {}),
      ...(body.protected !== undefined ? { protected: body.protected } : {}),
    });
    const work = await this.locked(caller, id, 'write', async (current, manager) => {
      if (current.status !== volume.status) {
        throw invalidVolume(current, volume.status);
      }
      await manager.update(VolumeEntity, { id }, { status: 'uploading' });
      return { volume: { ...current, status: 'uploading' as VolumeStatus }, backend: await this.backendOf(manager, current) };
    });
    await this.outcomes.handOver('volume.upload-image', id, () =>
      this.agents.cast(work.backend, VOLUME_AGENT_PATTERNS.uploadToImage, { volume: { id, sizeGb: volume.size }, imageId: image.id, diskFormat, fileUrl: this.images.fileUrl(image.id), authToken: caller.auth.rawToken }),
    );
    return {
      'os-volume_upload_image': {
        id,
        updated_at: new Date().toISOString(),
        status: 'uploading',
        display_description: volume.description,
        size: volume.size,
        volume_type: null,
        image_id: image.id,
        container_format: image.container_format,
        disk_format: image.disk_format,
        image_name: image.name,
      },
    };
  }

  /** Legacy attach flow (before the attachments API): reserve, attach, begin/roll detaching, detach. */
  async reserve(caller: Caller, id: string): Promise<void> {
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use')) {
        throw invalidVolume(volume, 'available');
      }
      await manager.update(VolumeEntity, { id }, { status: 'attaching' });
    });
  }

  async unreserve(caller: Caller, id: string): Promise<void> {
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status === 'attaching') {
        await manager.update(VolumeEntity, { id }, { status: restingStatus(volume) });
      }
    });
  }

  async attach(caller: Caller, id: string, input: unknown): Promise<void> {
    const body = bodyMember(input, 'os-attach', z.object({ instance_uuid: z.string().nullable().optional(), host_name: z.string().nullable().optional(), mountpoint: z.string().min(1), mode: z.enum(['rw', 'ro']).optional() }));
    if (!body.instance_uuid && !body.host_name) {
      throw badRequest('Invalid request to attach volume to an invalid target');
    }
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status !== 'attaching' && volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use')) {
        throw invalidVolume(volume, 'available or attaching');
      }
      if (volume.readOnly === true && body.mode === 'rw') {
        throw badRequest('Invalid volume attach mode: a read-only volume attaches read-only (ro)');
      }
      await manager.insert(AttachmentEntity, {
        id: randomUUID(),
        volumeId: id,
        projectId: volume.projectId,
        instanceUuid: body.instance_uuid ?? null,
        attachedHost: body.host_name ?? null,
        mountpoint: body.mountpoint,
        attachMode: body.mode ?? (volume.readOnly ? 'ro' : 'rw'),
        status: 'attached',
        connector: null,
        connectionInfo: null,
        attachTime: new Date(),
      });
      await manager.update(VolumeEntity, { id }, { status: 'in-use', attachStatus: 'attached' });
    });
  }

  async beginDetaching(caller: Caller, id: string): Promise<void> {
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status !== 'in-use') {
        throw invalidVolume(volume, 'in-use');
      }
      await manager.update(VolumeEntity, { id }, { status: 'detaching' });
    });
  }

  async rollDetaching(caller: Caller, id: string): Promise<void> {
    await this.locked(caller, id, 'write', async (volume, manager) => {
      if (volume.status === 'detaching') {
        await manager.update(VolumeEntity, { id }, { status: 'in-use' });
      }
    });
  }

  async detach(caller: Caller, id: string, input: unknown): Promise<void> {
    const body = bodyMember(input ?? { 'os-detach': {} }, 'os-detach', z.object({ attachment_id: z.string().nullable().optional() }));
    await this.locked(caller, id, 'write', async (volume, manager) => {
      const attachments = await manager.findBy(AttachmentEntity, { volumeId: id });
      const gone = body.attachment_id ? attachments.filter((attachment) => attachment.id === body.attachment_id) : attachments.slice(0, 1);
      if (gone.length === 0) {
        throw badRequest(`Invalid volume: Volume ${volume.id} is not attached${body.attachment_id ? ` by attachment ${body.attachment_id}` : ''}.`);
      }
      await manager.delete(AttachmentEntity, gone.map((attachment) => attachment.id));
      await this.settleAttachState(manager, volume);
    });
  }

  /** The volume's status and attach status after its attachments changed. */
  async settleAttachState(manager: EntityManager, volume: VolumeEntity): Promise<void> {
    const left = await manager.findBy(AttachmentEntity, { volumeId: volume.id });
    const attached = left.some((attachment) => attachment.status === 'attached');
    const status: VolumeStatus = attached ? 'in-use' : left.some((attachment) => attachment.status === 'attaching') ? 'attaching' : left.length > 0 ? 'reserved' : 'available';
    await manager.update(VolumeEntity, { id: volume.id }, { status, attachStatus: attached ? 'attached' : 'detached' });
  }

  /** `os-initialize_connection`: the backend's agent says how a host reaches the volume. */
  async initializeConnection(caller: Caller, id: string, input: unknown): Promise<{ connection_info: ConnectionInfo }> {
    const { connector } = bodyMember(input, 'os-initialize_connection', z.object({ connector: z.record(z.string(), z.unknown()) }));
    const volume = await this.volumes.visible(caller, id);
    caller.enforce('write', volume.projectId);
    const backend = await this.backendOf(this.dataSource.manager, volume);
    const info = await this.agents.call<ConnectionInfo>(backend, VOLUME_AGENT_PATTERNS.initializeConnection, { volume: { id, sizeGb: volume.size }, connector });
    return { connection_info: { ...info, data: { ...info.data, access_mode: volume.readOnly ? 'ro' : 'rw' } } };
  }

  async terminateConnection(caller: Caller, id: string, input: unknown): Promise<void> {
    const { connector } = bodyMember(input, 'os-terminate_connection', z.object({ connector: z.record(z.string(), z.unknown()) }));
    const volume = await this.volumes.visible(caller, id);
    caller.enforce('write', volume.projectId);
    const backend = await this.backendOf(this.dataSource.manager, volume);
    await this.agents.call(backend, VOLUME_AGENT_PATTERNS.terminateConnection, { volume: { id, sizeGb: volume.size }, connector });
  }
}
