import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type BootImage, COMPUTE_AGENT_PATTERNS, type DiskUpload, type FinishMigrationRequest, type InstanceOperation, type InstanceOutcome, POWER_STATE, type PowerState } from '@overcast/compute/contracts';
import {
  BlockDeviceMappingEntity,
  ComputeNodeEntity,
  InstanceEntity,
  type InstanceFlavor,
  MigrationEntity,
  type MigrationStatus,
  type MigrationTransfer,
  ServerGroupEntity,
  ServerGroupMemberEntity,
} from '@overcast/compute/data-access';
import { badRequest, conflict } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { AgentCommands } from '../agents/agent-commands';
import { ImageClient } from '../clients/image-client';
import { NetworkClient } from '../clients/network-client';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { NoValidHostError, SchedulerService } from '../scheduler/scheduler.service';
import { ServerVolumesService } from '../volumes/server-volumes.service';
import { configDriveFor } from './config-drive';
import { InstanceActionsService } from './instance-actions.service';
import { errorState, instanceSpec } from './instance-spec';
import { bindInstancePort } from './port-binding';

/** A migration not yet confirmed, reverted or undone. */
const OPEN_STATUSES: MigrationStatus[] = ['pre-migrating', 'migrating', 'post-migrating', 'finished', 'confirming', 'reverting'];

/** The agents' operations that are steps of a move. */
export type MigrationOperation = Extract<InstanceOperation, 'migrate-disks' | 'finish-migration' | 'confirm-migration' | 'drop-migration' | 'revert-migration'>;

/** What a resize or cold migration asks for, checked by the API. */
export interface MoveRequest {
  kind: 'resize' | 'migration';
  instance: InstanceEntity;
  userId: string;
  newFlavor: InstanceFlavor;
  /** The image the server booted from (its kernel and ramdisk, should the guest move to another host). */
  image?: BootImage;
  /** The requester's token: images are made and read, and volumes connected, with it. */
  token: string;
}

/** What a move under way needs beyond its row; kept in memory while it runs (as a build's context is). */
interface MoveContext {
  token: string;
  image?: BootImage;
}

/**
 * Resize and cold migration, Nova's way: the destination is claimed at once (the source's room
 * passes to the migration), the source stops the guest and keeps its disks aside — uploading
 * them to the image service when the guest changes host, as hosts share no storage — and the
 * destination makes the guest again with the new flavor (VERIFY_RESIZE). Confirming drops what
 * the source kept and its room; reverting drops the destination's guest and brings back the
 * source's. A step that fails is undone, and the server is as it was before the move.
 */
@Injectable()
export class InstanceMigrations {
  private readonly logger = new Logger('compute');
  private readonly moves = new Map<string, MoveContext>();

  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
    private readonly scheduler: SchedulerService,
    private readonly network: NetworkClient,
    private readonly images: ImageClient,
    private readonly agents: AgentCommands,
    private readonly actions: InstanceActionsService,
    private readonly serverVolumes: ServerVolumesService,
  ) {}

  /** Starts a resize or cold migration: 409 unless the server is ACTIVE or SHUTOFF, 400 when no host can take it. */
  async start(request: MoveRequest): Promise<void> {
    const { instance, kind } = request;
    const action = kind === 'resize' ? 'resize' : 'migrate';
    const migration = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(InstanceEntity, { where: { id: instance.id }, lock: { mode: 'pessimistic_write' } });
      if (!current || current.deletedAt !== null) {
        throw conflict(`Instance ${instance.id} is being deleted.`);
      }
      if (current.taskState !== null) {
        throw conflict(`Cannot '${action}' instance ${instance.id} while it is in task_state ${current.taskState}`);
      }
      if ((current.vmState !== 'active' && current.vmState !== 'stopped') || current.host === null || current.nodeId === null) {
        throw conflict(`Cannot '${action}' instance ${instance.id} while it is in vm_state ${current.vmState}`);
      }
      await manager.update(InstanceEntity, { id: instance.id }, { taskState: 'resize_prep', updatedAt: new Date() });
      await this.actions.record(manager, instance, action, request.userId);
      return manager.save(
        manager.create(MigrationEntity, {
          uuid: randomUUID(),
          instanceId: instance.id,
          migrationType: kind,
          status: 'pre-migrating',
          sourceCompute: current.host,
          sourceNode: current.nodeId,
          destCompute: null,
          destNode: null,
          oldFlavor: current.flavor,
          newFlavor: request.newFlavor,
          oldVmState: current.vmState,
          transfers: [],
          projectId: current.projectId,
          userId: request.userId,
        }),
      );
    });
    const started = new Date();
    let destination: ComputeNodeEntity;
    try {
      destination = await this.scheduler.claim({
        instanceId: instance.id,
        vcpus: request.newFlavor.vcpus,
        memoryMb: request.newFlavor.memoryMb,
        diskGb: request.newFlavor.rootGb + request.newFlavor.ephemeralGb,
        availabilityZone: instance.availabilityZone ?? undefined,
        architecture: request.image?.properties['architecture'],
        hypervisorType: request.image?.properties['hypervisor_type'],
        group: await this.groupOf(instance.id),
        excludeHosts: [],
        move: { migrationUuid: migration.uuid, sourceHost: migration.sourceCompute, sameHostAllowed: kind === 'resize' && this.settings.allowResizeToSameHost },
      });
    } catch (error) {
      await this.settle(instance.id, migration, 'error', {});
      await this.actions.event(instance.id, action, 'conductor_migrate_server', null, started, errorText(error));
      throw error instanceof NoValidHostError ? badRequest(error.message) : error;
    }
    await this.actions.event(instance.id, action, 'conductor_migrate_server', destination.host, started);
    this.moves.set(migration.uuid, { token: request.token, image: request.image });
    try {
      const uploads = destination.host === migration.sourceCompute ? [] : await this.transferImages(instance, migration, request.token);
      await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'migrating', destCompute: destination.host, destNode: destination.id, transfers: uploads.map(({ disk, imageId }) => ({ disk, imageId })) });
      await this.setInstance(instance.id, { taskState: 'resize_migrating' });
      await this.agents.cast(migration.sourceCompute, COMPUTE_AGENT_PATTERNS.migrateDisks, {
        instance: instanceSpec(instance, await this.volumesOf(instance.id)),
        authToken: request.token,
        ...(uploads.length > 0 ? { uploads } : {}),
      });
    } catch (error) {
      await this.undo(instance.id, await this.reload(migration), errorText(error));
      throw error;
    }
  }

  /** `confirmResize`: the source drops what it kept; the server settles once it has. */
  async confirm(instance: InstanceEntity, userId: string): Promise<void> {
    const migration = await this.toVerify(instance, 'confirmResize', userId, 'confirming', null);
    await this.agents.cast(migration.sourceCompute, COMPUTE_AGENT_PATTERNS.confirmMigration, { instance: instanceSpec(instance, []) });
  }

  /** `revertResize`: the destination drops its guest, then the source brings back the one it kept. */
  async revert(instance: InstanceEntity, userId: string, token: string): Promise<void> {
    const migration = await this.toVerify(instance, 'revertResize', userId, 'reverting', 'resize_reverting');
    this.moves.set(migration.uuid, { token });
    await this.agents.cast(instance.host as string, COMPUTE_AGENT_PATTERNS.dropMigration, { instance: instanceSpec(instance, await this.volumesOf(instance.id)) });
  }

  /**
   * A server being deleted ends its move (Nova confirms a resize first): the source's kept disks
   * and room go, with the images made for the move.
   */
  async endForDelete(instance: InstanceEntity, token: string): Promise<void> {
    const migration = await this.openMigration(instance.id);
    if (migration) {
      await this.abandon(instance, migration, token);
    }
  }

  /** An agent's report of how a step of a move ended (InstanceLifecycle hands these on). */
  async apply(outcome: InstanceOutcome, operation: MigrationOperation): Promise<void> {
    const instance = await this.dataSource.manager.findOneBy(InstanceEntity, { id: outcome.instanceId });
    // The latest, open or not: a move the destination failed is already `error` while its source takes the server back.
    const migration = await this.dataSource.manager.findOne(MigrationEntity, { where: { instanceId: outcome.instanceId }, order: { id: 'DESC' } });
    if (!instance || !migration) {
      return;
    }
    const context = this.moves.get(migration.uuid);
    if (instance.deletedAt !== null || instance.taskState === 'deleting') {
      return;
    }
    const action = migration.migrationType === 'resize' ? 'resize' : 'migrate';
    const error = outcome.error;
    switch (operation) {
      case 'migrate-disks':
        await this.actions.event(instance.id, action, 'compute_resize_instance', outcome.host, migration.updatedAt, error);
        if (error !== undefined || context === undefined) {
          return this.undo(instance.id, migration, error ?? 'the request was lost when the compute service restarted', outcome.powerState);
        }
        return this.finishOnDestination(instance, migration, context);
      case 'finish-migration':
        await this.actions.event(instance.id, action, 'compute_finish_resize', outcome.host, migration.updatedAt, error);
        if (error !== undefined) {
          await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'error' });
          return this.returnToSource(instance, await this.reload(migration), context?.token);
        }
        await this.deleteTransfers(migration, context?.token);
        this.moves.delete(migration.uuid);
        await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'finished' });
        return this.setInstance(instance.id, { flavor: migration.newFlavor, vmState: 'resized', taskState: null, powerState: outcome.powerState ?? POWER_STATE.NOSTATE });
      case 'confirm-migration':
        await this.actions.event(instance.id, 'confirmResize', 'compute_confirm_resize', outcome.host, migration.updatedAt, error);
        if (error !== undefined) {
          return this.setError(instance.id, `Confirming the resize failed on ${outcome.host}: ${error}`);
        }
        await this.scheduler.release(migration.uuid);
        await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'confirmed' });
        return this.setInstance(instance.id, { vmState: instance.powerState === POWER_STATE.RUNNING ? 'active' : 'stopped', taskState: null });
      case 'drop-migration':
        await this.actions.event(instance.id, 'revertResize', 'compute_revert_resize', outcome.host, migration.updatedAt, error);
        if (error !== undefined) {
          return this.setError(instance.id, `Reverting the resize failed on ${outcome.host}: ${error}`);
        }
        return this.returnToSource(instance, migration, context?.token);
      case 'revert-migration': {
        await this.actions.event(instance.id, migration.status === 'error' ? action : 'revertResize', 'compute_finish_revert_resize', outcome.host, migration.updatedAt, error);
        this.moves.delete(migration.uuid);
        if (error !== undefined) {
          await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'error' });
          return this.setError(instance.id, `Bringing the server back on ${outcome.host} failed: ${error}`, { flavor: migration.oldFlavor });
        }
        const powerState = outcome.powerState ?? POWER_STATE.NOSTATE;
        await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: migration.status === 'error' ? 'error' : 'reverted' });
        return this.setInstance(instance.id, { flavor: migration.oldFlavor, vmState: powerState === POWER_STATE.RUNNING ? 'active' : 'stopped', taskState: null, powerState });
      }
    }
  }

  /** The source has the disks aside: the ports and volumes follow the server to the destination, which makes the guest again. */
  private async finishOnDestination(instance: InstanceEntity, migration: MigrationEntity, context: MoveContext): Promise<void> {
    const destination = migration.destCompute as string;
    try {
      await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'post-migrating' });
      await this.setInstance(instance.id, { taskState: 'resize_migrated' });
      const ports = await this.moveAttachments(instance, destination, context.token);
      const moved = { ...instance, ports, host: destination, nodeId: migration.destNode, flavor: migration.newFlavor };
      await this.setInstance(instance.id, { ports, host: destination, nodeId: migration.destNode, taskState: 'resize_finish' });
      const request: FinishMigrationRequest = {
        instance: instanceSpec(moved, await this.volumesOf(instance.id), { image: context.image, configDrive: instance.configDrive ? configDriveFor(moved) : undefined }),
        authToken: context.token,
        powerOn: migration.oldVmState === 'active',
        ...(migration.transfers.length > 0 ? { transferred: migration.transfers.map(({ disk, imageId }) => ({ disk, image: { id: imageId, diskFormat: 'qcow2', size: 0, fileUrl: this.images.fileUrl(imageId) } })) } : {}),
      };
      await this.agents.cast(destination, COMPUTE_AGENT_PATTERNS.finishMigration, request);
    } catch (error) {
      this.logger.error(`moving instance ${instance.id} to ${destination} failed: ${errorText(error)}`);
      await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: 'error' });
      await this.returnToSource(instance, await this.reload(migration), context.token);
    }
  }

  /** The destination holds no guest any more: the source takes the server back (its room, ports and volumes) and starts it again. */
  private async returnToSource(instance: InstanceEntity, migration: MigrationEntity, token: string | undefined): Promise<void> {
    try {
      await this.scheduler.revertMove(instance.id, migration.uuid);
      await this.deleteTransfers(migration, token);
      const ports = token === undefined ? instance.ports : await this.moveAttachments(instance, migration.sourceCompute, token);
      const returned = { ...instance, ports, host: migration.sourceCompute, nodeId: migration.sourceNode, flavor: migration.oldFlavor };
      await this.setInstance(instance.id, { ports, host: migration.sourceCompute, nodeId: migration.sourceNode, taskState: 'resize_reverting' });
      await this.agents.cast(migration.sourceCompute, COMPUTE_AGENT_PATTERNS.revertMigration, { instance: instanceSpec(returned, await this.volumesOf(instance.id)), powerOn: migration.oldVmState === 'active' });
    } catch (error) {
      await this.setError(instance.id, `Bringing the server back to ${migration.sourceCompute} failed: ${errorText(error)}`, { flavor: migration.oldFlavor });
    }
  }

  /** Binds the server's ports to `host` and connects its volumes there, when it changes host; answers the ports as bound. */
  private async moveAttachments(instance: InstanceEntity, host: string, token: string): Promise<InstanceEntity['ports']> {
    if (instance.host === host) {
      return instance.ports;
    }
    const node = await this.dataSource.manager.findOneByOrFail(ComputeNodeEntity, { host });
    const ports = instance.ports.map((port) => ({ ...port }));
    for (const port of ports) {
      await bindInstancePort(this.network, instance.id, port, host, node.inventory?.hypervisorType === 'fake');
    }
    await this.serverVolumes.connectForBuild(instance, node, token);
    return ports;
  }

  /** Images in the requester's project, hidden from its lists, that carry the local disks to another host; deleted once the move ends. */
  private async transferImages(instance: InstanceEntity, migration: MigrationEntity, token: string): Promise<DiskUpload[]> {
    const disks: MigrationTransfer['disk'][] = [...(instance.imageRef !== null ? ['root' as const] : []), ...(migration.oldFlavor.ephemeralGb > 0 ? ['ephemeral' as const] : [])];
    const uploads: DiskUpload[] = [];
    try {
      for (const disk of disks) {
        const image = await this.images.create(token, {
          name: `${disk} disk of ${instance.id} moving to another host`,
          disk_format: 'qcow2',
          container_format: 'bare',
          visibility: 'private',
          os_hidden: true,
          instance_uuid: instance.id,
        });
        uploads.push({ disk, imageId: image.id, fileUrl: this.images.fileUrl(image.id) });
      }
    } catch (error) {
      await this.deleteTransfers({ transfers: uploads }, token);
      throw error;
    }
    return uploads;
  }

  /** Undoes a move the source could not start: its room is the server's again, and it is as it was. */
  private async undo(instanceId: string, migration: MigrationEntity, reason: string, powerState?: PowerState): Promise<void> {
    this.logger.warn(`the move of instance ${instanceId} is undone: ${reason}`);
    await this.scheduler.revertMove(instanceId, migration.uuid);
    await this.deleteTransfers(migration, this.moves.get(migration.uuid)?.token);
    this.moves.delete(migration.uuid);
    await this.settle(instanceId, migration, 'error', powerState === undefined ? {} : { powerState });
  }

  /** Ends a move of a server being deleted: the source's kept disks, its room and the transfer images go. */
  private async abandon(instance: InstanceEntity, migration: MigrationEntity, token: string): Promise<void> {
    await this.scheduler.release(migration.uuid);
    await this.deleteTransfers(migration, token);
    this.moves.delete(migration.uuid);
    await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status: migration.status === 'finished' || migration.status === 'confirming' ? 'confirmed' : 'error' });
    await this.agents
      .cast(migration.sourceCompute, COMPUTE_AGENT_PATTERNS.confirmMigration, { instance: instanceSpec(instance, []) })
      .catch((error: unknown) => this.logger.error(`the disks instance ${migration.instanceId} kept on ${migration.sourceCompute} stay there: ${errorText(error)}`));
  }

  /** Checks that the server waits for its resize to be confirmed or reverted, and moves its migration on. */
  private async toVerify(instance: InstanceEntity, action: string, userId: string, status: MigrationStatus, taskState: string | null): Promise<MigrationEntity> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(InstanceEntity, { where: { id: instance.id }, lock: { mode: 'pessimistic_write' } });
      if (!current || current.vmState !== 'resized' || current.taskState !== null) {
        const state = current?.taskState ? `task_state ${current.taskState}` : `vm_state ${current?.vmState ?? 'deleted'}`;
        throw conflict(`Cannot '${action}' instance ${instance.id} while it is in ${state}`);
      }
      const migration = await manager.findOne(MigrationEntity, { where: { instanceId: instance.id, status: 'finished' }, order: { id: 'DESC' } });
      if (!migration) {
        throw badRequest('Instance has not been resized.');
      }
      await manager.update(MigrationEntity, { id: migration.id }, { status });
      await manager.update(InstanceEntity, { id: instance.id }, { taskState, updatedAt: new Date() });
      await this.actions.record(manager, instance, action, userId);
      return { ...migration, status };
    });
  }

  private async deleteTransfers(migration: Pick<MigrationEntity, 'transfers'>, token: string | undefined): Promise<void> {
    for (const transfer of migration.transfers) {
      if (token === undefined) {
        this.logger.error(`image ${transfer.imageId} made for a move stays: no requester's token is left to delete it with`);
        continue;
      }
      await this.images.delete(token, transfer.imageId).catch((error: unknown) => this.logger.error(`deleting image ${transfer.imageId} made for a move failed: ${errorText(error)}`));
    }
  }

  private async settle(instanceId: string, migration: MigrationEntity, status: MigrationStatus, changes: Partial<InstanceEntity>): Promise<void> {
    await this.dataSource.manager.update(MigrationEntity, { id: migration.id }, { status });
    await this.setInstance(instanceId, { taskState: null, host: migration.sourceCompute, nodeId: migration.sourceNode, ...changes });
  }

  private openMigration(instanceId: string): Promise<MigrationEntity | null> {
    return this.dataSource.manager.findOne(MigrationEntity, { where: { instanceId, status: In(OPEN_STATUSES) }, order: { id: 'DESC' } });
  }

  private reload(migration: MigrationEntity): Promise<MigrationEntity> {
    return this.dataSource.manager.findOneByOrFail(MigrationEntity, { id: migration.id });
  }

  private volumesOf(instanceId: string): Promise<BlockDeviceMappingEntity[]> {
    return this.dataSource.manager.findBy(BlockDeviceMappingEntity, { instanceId });
  }

  private async groupOf(instanceId: string): Promise<ServerGroupEntity | undefined> {
    const member = await this.dataSource.manager.findOneBy(ServerGroupMemberEntity, { instanceId });
    return member === null ? undefined : ((await this.dataSource.manager.findOneBy(ServerGroupEntity, { id: member.groupId })) ?? undefined);
  }

  private async setInstance(instanceId: string, changes: Partial<InstanceEntity>): Promise<void> {
    await this.dataSource.manager.update(InstanceEntity, { id: instanceId }, { ...changes, updatedAt: new Date() });
  }

  private async setError(instanceId: string, message: string, changes: Partial<InstanceEntity> = {}): Promise<void> {
    await this.setInstance(instanceId, { ...changes, taskState: null, ...errorState(message) });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
