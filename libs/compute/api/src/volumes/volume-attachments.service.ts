import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type BlockDeviceMappingEntity, type InstanceEntity } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound, parseInput } from '@overcast/shared/core';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type Caller } from '../common/caller';
import { InstanceActionsService } from '../instances/instance-actions.service';
import { InstanceLifecycle } from '../instances/instance-lifecycle';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { ServersService } from '../servers/servers.service';
import { ServerVolumesService } from './server-volumes.service';

const attachBody = z.strictObject({
  volumeAttachment: z.strictObject({
    volumeId: z.string().regex(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i, { message: 'is not a UUID' }),
    device: z.string().max(255).nullable().optional(),
    tag: z.string().max(60).optional(),
    delete_on_termination: z.boolean().optional(),
  }),
});

/** The vm_states a volume may be attached or detached in (Nova's check_instance_state for attach_volume). */
const ATTACHABLE = ['active', 'paused', 'stopped', 'suspended'];

/** Nova's view of a volume on a server: at 2.1 its id is the volume's. */
function attachmentView(mapping: BlockDeviceMappingEntity) {
  return { id: mapping.volumeId, volumeId: mapping.volumeId, serverId: mapping.instanceId, device: `/dev/${mapping.deviceName}` };
}

/** `os-volume_attachments`: hot-plugging block storage volumes into a running (or stopped) server. */
@Injectable()
export class VolumeAttachmentsService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly servers: ServersService,
    private readonly serverVolumes: ServerVolumesService,
    private readonly hosts: ComputeHostsService,
    private readonly lifecycle: InstanceLifecycle,
    private readonly actions: InstanceActionsService,
  ) {}

  async list(caller: Caller, serverId: string) {
    const instance = await this.visible(caller, serverId, 'index');
    return (await this.serverVolumes.mappingsOf(instance.id)).map(attachmentView);
  }

  async show(caller: Caller, serverId: string, volumeId: string) {
    const instance = await this.visible(caller, serverId, 'show');
    return attachmentView(await this.mapping(instance, volumeId));
  }

  /** Reserves and connects the volume, then has the host plug it in; the answer comes before the guest sees it, as Nova's does. */
  async attach(caller: Caller, serverId: string, body: unknown) {
    const input = parseInput(attachBody, body).volumeAttachment;
    const instance = await this.visible(caller, serverId, 'create');
    this.checkState(instance, 'attach_volume');
    const node = instance.host === null ? null : await this.hosts.findByHost(instance.host);
    if (node === null || !this.hosts.isUp(node)) {
      throw conflict(`Cannot 'attach_volume' instance ${instance.id}: its host is down.`);
    }
    const mapping = await this.serverVolumes.attach(instance, node, caller.auth.rawToken, input.volumeId);
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'attach_volume', caller.userId));
    await this.lifecycle.changeVolume(instance, mapping, true, caller.auth.rawToken);
    return attachmentView(mapping);
  }

  /** Has the host unplug the volume; block storage frees it once the host is done. The root volume stays. */
  async detach(caller: Caller, serverId: string, volumeId: string): Promise<void> {
    const instance = await this.visible(caller, serverId, 'delete');
    this.checkState(instance, 'detach_volume');
    const mapping = await this.mapping(instance, volumeId);
    if (mapping.bootIndex === 0) {
      throw badRequest(`Cannot detach a root device volume.`);
    }
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'detach_volume', caller.userId));
    await this.lifecycle.changeVolume(instance, mapping, false, caller.auth.rawToken);
  }

  private async visible(caller: Caller, serverId: string, rule: 'index' | 'show' | 'create' | 'delete'): Promise<InstanceEntity> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(`os_compute_api:os-volumes-attachments:${rule}`, { project_id: instance.projectId });
    return instance;
  }

  private checkState(instance: InstanceEntity, action: string): void {
    if (instance.taskState !== null) {
      throw conflict(`Cannot '${action}' instance ${instance.id} while it is in task_state ${instance.taskState}`);
    }
    if (!ATTACHABLE.includes(instance.vmState)) {
      throw conflict(`Cannot '${action}' instance ${instance.id} while it is in vm_state ${instance.vmState}`);
    }
  }

  private async mapping(instance: InstanceEntity, volumeId: string): Promise<BlockDeviceMappingEntity> {
    const mapping = (await this.serverVolumes.mappingsOf(instance.id)).find((candidate) => candidate.volumeId === volumeId);
    if (!mapping) {
      throw notFound(`Volume ${volumeId} is not attached to instance ${instance.id}.`);
    }
    return mapping;
  }
}
