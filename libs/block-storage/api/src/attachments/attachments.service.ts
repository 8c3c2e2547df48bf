import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ConnectionInfo, type Connector, VOLUME_AGENT_PATTERNS } from '@overcast/block-storage/contracts';
import { AttachmentEntity, BackendEntity, VolumeEntity } from '@overcast/block-storage/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AgentCommands } from '../agents/agent-commands';
import { bodyMember } from '../common/body';
import { type Caller } from '../common/caller';
import { listScope } from '../common/query';
import { visibleRow } from '../common/visible-row';
import { type View } from '../common/cinder-list';
import { VolumeActionsService } from '../volumes/volume-actions.service';
import { VolumesService } from '../volumes/volumes.service';

const connectorSchema = z.record(z.string(), z.unknown());

/** Cinder's attachment view (cinder/api/v3/views/attachments.py). */
function attachmentView(attachment: AttachmentEntity): View {
  return {
    id: attachment.id,
    status: attachment.status,
    instance: attachment.instanceUuid,
    volume_id: attachment.volumeId,
    attached_at: attachment.attachTime?.toISOString() ?? null,
    detached_at: null,
    attach_mode: attachment.attachMode,
    connection_info: attachment.connectionInfo,
  };
}

/**
 * The attachments API (3.27, completed with 3.44): reserve a volume for an instance, hand over
 * the connection once the host's connector is known, complete once the hypervisor attached it,
 * delete to detach. A volume is `reserved`/`attaching` meanwhile and `in-use` while attached.
 */
@Injectable()
export class AttachmentsService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    private readonly volumes: VolumesService,
    private readonly actions: VolumeActionsService,
    private readonly agents: AgentCommands,
  ) {}

  async visible(caller: Caller, id: string, manager: EntityManager = this.dataSource.manager): Promise<AttachmentEntity> {
    return visibleRow(manager, AttachmentEntity, caller, 'VolumeAttachment', id);
  }

  view(attachment: AttachmentEntity): View {
    return attachmentView(attachment);
  }

  async list(caller: Caller, query: Record<string, unknown>): Promise<View[]> {
    caller.enforce('read');
    const attachments = await this.dataSource.manager.findBy(AttachmentEntity, listScope(caller, query));
    return attachments
      .filter((attachment) => (query['volume_id'] === undefined || attachment.volumeId === query['volume_id']) && (query['instance_id'] === undefined || attachment.instanceUuid === query['instance_id']))
      .map(attachmentView);
  }

  async create(caller: Caller, body: unknown): Promise<View> {
    const input = bodyMember(body, 'attachment', z.object({ volume_uuid: z.uuid('is not a valid UUID'), instance_uuid: z.string().nullable().optional(), connector: connectorSchema.nullable().optional(), mode: z.enum(['rw', 'ro']).optional() }));
    const attachment = await this.dataSource.transaction(async (manager) => {
      const volume = await this.volumes.visible(caller, input.volume_uuid, manager, true);
      caller.enforce('write', volume.projectId);
      const others = await manager.countBy(AttachmentEntity, { volumeId: volume.id });
      const free = volume.status === 'available' || (volume.multiattach && ['in-use', 'reserved', 'attaching'].includes(volume.status));
      if (!free || (others > 0 && !volume.multiattach)) {
        throw badRequest(`Invalid volume: Volume ${volume.id} status must be available or in-use with multiattach, but current status is: ${volume.status}.`);
      }
      const row = manager.create(AttachmentEntity, {
        id: randomUUID(),
        volumeId: volume.id,
        projectId: volume.projectId,
        instanceUuid: input.instance_uuid ?? null,
        attachedHost: null,
        mountpoint: null,
        attachMode: input.mode ?? (volume.readOnly ? 'ro' : 'rw'),
        status: 'reserved',
        connector: null,
        connectionInfo: null,
        attachTime: null,
      });
      await manager.save(AttachmentEntity, row);
      await this.actions.settleAttachState(manager, volume);
      return row;
    });
    return input.connector ? this.connect(caller, attachment.id, input.connector) : attachmentView(attachment);
  }

  /** `PUT /attachments/{id}` with the host's connector: the backend says how to reach the volume. */
  async update(caller: Caller, id: string, body: unknown): Promise<View> {
    const { connector } = bodyMember(body, 'attachment', z.object({ connector: connectorSchema }));
    return this.connect(caller, id, connector);
  }

  private async connect(caller: Caller, id: string, connector: Connector): Promise<View> {
    const attachment = await this.visible(caller, id);
    const volume = await this.volumes.visible(caller, attachment.volumeId);
    caller.enforce('write', volume.projectId);
    if (volume.backendId === null) {
      throw badRequest(`Invalid volume: Volume ${volume.id} is on no backend.`);
    }
    const backend = await this.dataSource.manager.findOneByOrFail(BackendEntity, { id: volume.backendId });
    const info = await this.agents.call<ConnectionInfo>(backend, VOLUME_AGENT_PATTERNS.initializeConnection, { volume: { id: volume.id, sizeGb: volume.size }, connector });
    const connectionInfo: ConnectionInfo = { ...info, data: { ...info.data, access_mode: attachment.attachMode, attachment_id: attachment.id } };
    return this.dataSource.transaction(async (manager) => {
      const current = await this.visible(caller, id, manager);
      await manager.save(AttachmentEntity, {
        ...current,
        connector,
        connectionInfo,
        attachedHost: typeof connector.host === 'string' ? connector.host : null,
        mountpoint: typeof connector['mountpoint'] === 'string' ? connector['mountpoint'] : null,
        status: current.status === 'attached' ? 'attached' : 'attaching',
      });
      await this.actions.settleAttachState(manager, await manager.findOneByOrFail(VolumeEntity, { id: volume.id }));
      return attachmentView(await manager.findOneByOrFail(AttachmentEntity, { id }));
    });
  }

  /** `os-complete` (3.44): the hypervisor has the volume; it is `in-use`. */
  async complete(caller: Caller, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const attachment = await this.visible(caller, id, manager);
      caller.enforce('write', attachment.projectId);
      if (attachment.connectionInfo === null) {
        throw badRequest(`Invalid attachment: Attachment ${id} has no connection yet; update it with a connector first.`);
      }
      await manager.update(AttachmentEntity, { id }, { status: 'attached', attachTime: new Date() });
      await this.actions.settleAttachState(manager, await manager.findOneByOrFail(VolumeEntity, { id: attachment.volumeId }));
    });
  }

  /** Detaches: the backend drops the host's connection, the volume is free again when it was the last. Answers the volume's remaining attachments. */
  async delete(caller: Caller, id: string): Promise<View[]> {
    const attachment = await this.visible(caller, id);
    caller.enforce('write', attachment.projectId);
    const volume = await this.dataSource.manager.findOneByOrFail(VolumeEntity, { id: attachment.volumeId });
    if (attachment.connector !== null && volume.backendId !== null) {
      const backend = await this.dataSource.manager.findOneByOrFail(BackendEntity, { id: volume.backendId });
      await this.agents.call(backend, VOLUME_AGENT_PATTERNS.terminateConnection, { volume: { id: volume.id, sizeGb: volume.size }, connector: attachment.connector });
    }
    return this.dataSource.transaction(async (manager) => {
      await manager.delete(AttachmentEntity, { id });
      await this.actions.settleAttachState(manager, await manager.findOneByOrFail(VolumeEntity, { id: volume.id }));
      return (await manager.findBy(AttachmentEntity, { volumeId: volume.id })).map(attachmentView);
    });
  }
}
