import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type OperationOutcome, VOLUME_AGENT_PATTERNS } from '@overcast/block-storage/contracts';
import { AttachmentEntity, BackendEntity, SnapshotEntity, VolumeEntity } from '@overcast/block-storage/data-access';
import { DataSource, type EntityManager, In, LessThan } from 'typeorm';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { MessagesService } from '../messages/messages.service';
import { BackendsService } from '../scheduler/backends.service';
import { AgentCommands } from './agent-commands';

/** The status a volume returns to once an operation on it ends. */
export function restingStatus(volume: VolumeEntity): 'available' | 'in-use' {
  return volume.attachStatus === 'attached' ? 'in-use' : 'available';
}

/** Cinder's action words in user messages, per operation. */
const ACTIONS: Record<OperationOutcome['operation'], string> = {
  'volume.create': 'create volume',
  'volume.delete': 'delete volume',
  'volume.extend': 'extend volume',
  'volume.upload-image': 'copy volume to image',
  'snapshot.create': 'create snapshot',
  'snapshot.delete': 'delete snapshot',
};

/** The state a resource is left in when its operation failed, or its agent went away during it. */
const FAILED_STATE: Record<OperationOutcome['operation'], string | undefined> = {
  'volume.create': 'error',
  'volume.delete': 'error_deleting',
  'volume.extend': 'error_extending',
  'volume.upload-image': undefined,
  'snapshot.create': 'error',
  'snapshot.delete': 'error_deleting',
};

/** The operation each transitional state waits for. */
const WAITING_ON: Record<string, OperationOutcome['operation']> = {
  creating: 'volume.create',
  deleting: 'volume.delete',
  extending: 'volume.extend',
  uploading: 'volume.upload-image',
};

/**
 * Applies what the agents report of the operations they were given: the state machine's second
 * half (creating → available or error, deleting → gone or error_deleting…), each failure with a
 * user message saying why. Work left waiting on an agent that stopped reporting fails the same way.
 */
@Injectable()
export class OperationOutcomes {
  private readonly logger = new Logger('block-storage');

  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
    private readonly backends: BackendsService,
    private readonly messages: MessagesService,
    private readonly agents: AgentCommands,
  ) {}

  /**
   * Sends work to an agent once its state is committed; if the bus will not take it, the operation
   * fails at once, as if the agent had said so, rather than waiting for an agent that never hears.
   */
  async handOver(operation: OperationOutcome['operation'], id: string, send: () => Promise<void>, outcome: Pick<OperationOutcome, 'sizeGb'> = {}): Promise<void> {
    try {
      await send();
    } catch (error) {
      await this.apply({ operation, id, host: '', backend: '', ...outcome, error: `the volume agent could not be reached: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  async apply(outcome: OperationOutcome): Promise<void> {
    if (outcome.error !== undefined) {
      this.logger.warn(`${outcome.operation} of ${outcome.id} on ${outcome.host}@${outcome.backend} failed: ${outcome.error}`);
    }
    // A follow-up cast waits for the commit: the agent must not see state this transaction may still undo.
    const followUp = await this.dataSource.transaction((manager) => (outcome.operation.startsWith('snapshot.') ? this.applyToSnapshot(manager, outcome) : this.applyToVolume(manager, outcome).then(() => undefined)));
    await followUp?.();
  }

  private async applyToVolume(manager: EntityManager, outcome: OperationOutcome): Promise<void> {
    const volume = await manager.findOne(VolumeEntity, { where: { id: outcome.id }, lock: { mode: 'pessimistic_write' } });
    if (volume === null) {
      return;
    }
    if (outcome.error !== undefined) {
      if (outcome.operation === 'volume.extend' && outcome.sizeGb !== undefined) {
        await this.backends.release(manager, volume.backendId, outcome.sizeGb - volume.size);
      }
      return this.fail(manager, volume, outcome.operation, outcome.error);
    }
    switch (outcome.operation) {
      case 'volume.create':
        await manager.update(VolumeEntity, { id: volume.id }, { status: 'available', launchedAt: new Date() });
        return;
      case 'volume.delete':
        await manager.delete(AttachmentEntity, { volumeId: volume.id });
        await manager.delete(VolumeEntity, { id: volume.id });
        await this.backends.release(manager, volume.backendId, volume.size);
        return;
      case 'volume.extend':
        await manager.update(VolumeEntity, { id: volume.id }, { status: restingStatus(volume), size: outcome.sizeGb ?? volume.size });
        return;
      case 'volume.upload-image':
        await manager.update(VolumeEntity, { id: volume.id }, { status: restingStatus(volume) });
        return;
      case 'snapshot.create':
      case 'snapshot.delete':
        return;
    }
  }

  /** A snapshot's outcome; the last snapshot of a volume being deleted with `cascade` lets the volume go too. */
  private async applyToSnapshot(manager: EntityManager, outcome: OperationOutcome): Promise<(() => Promise<void>) | undefined> {
    const snapshot = await manager.findOne(SnapshotEntity, { where: { id: outcome.id }, lock: { mode: 'pessimistic_write' } });
    if (snapshot === null) {
      return undefined;
    }
    if (outcome.error !== undefined) {
      await manager.update(SnapshotEntity, { id: snapshot.id }, { status: FAILED_STATE[outcome.operation] as SnapshotEntity['status'] });
      await this.messages.recordFailure({ projectId: snapshot.projectId, resourceType: 'VOLUME_SNAPSHOT', resourceId: snapshot.id, action: ACTIONS[outcome.operation], reason: outcome.error }, manager);
      return undefined;
    }
    if (outcome.operation === 'snapshot.create') {
      await manager.update(SnapshotEntity, { id: snapshot.id }, { status: 'available' });
      return undefined;
    }
    await manager.delete(SnapshotEntity, { id: snapshot.id });
    const volume = await manager.findOne(VolumeEntity, { where: { id: snapshot.volumeId }, lock: { mode: 'pessimistic_write' } });
    if (volume?.status !== 'deleting' || (await manager.countBy(SnapshotEntity, { volumeId: volume.id })) > 0) {
      return undefined;
    }
    const backend = volume.backendId === null ? null : await manager.findOneBy(BackendEntity, { id: volume.backendId });
    return backend === null ? undefined : () => this.agents.cast(backend, VOLUME_AGENT_PATTERNS.deleteVolume, { volume: { id: volume.id, sizeGb: volume.size } });
  }

  private async fail(manager: EntityManager, volume: VolumeEntity, operation: OperationOutcome['operation'], reason: string): Promise<void> {
    const failed = FAILED_STATE[operation];
    if (operation === 'volume.create') {
      // The driver left nothing behind: the backend's room is free again, and deleting the volume needs no agent.
      await this.backends.release(manager, volume.backendId, volume.size);
      await manager.update(VolumeEntity, { id: volume.id }, { status: 'error', backendId: null });
    } else {
      await manager.update(VolumeEntity, { id: volume.id }, { status: (failed ?? restingStatus(volume)) as VolumeEntity['status'] });
    }
    await this.messages.recordFailure({ projectId: volume.projectId, resourceType: 'VOLUME', resourceId: volume.id, action: ACTIONS[operation], reason }, manager);
  }

  /** Volumes and snapshots still waiting on an agent that has stopped reporting fail, saying so. */
  async failAbandoned(): Promise<void> {
    const downSince = new Date(Date.now() - this.settings.backendDownSeconds * 1000);
    for (const backend of (await this.backends.all()).filter((candidate) => candidate.reportedAt < downSince)) {
      await this.failWaiting([backend], downSince, `the volume agent of ${backend.host}@${backend.name} stopped reporting before the operation ended`);
    }
  }

  /** Fails the volumes and snapshots on `backends` that have waited on their agent since before `since`. */
  async failWaiting(backends: readonly BackendEntity[], since: Date, reason: string): Promise<void> {
    const ids = backends.map((backend) => backend.id);
    if (ids.length === 0) {
      return;
    }
    const volumes = await this.dataSource.manager.findBy(VolumeEntity, { backendId: In(ids), status: In(Object.keys(WAITING_ON)), updatedAt: LessThan(since) });
    for (const volume of volumes) {
      const operation = WAITING_ON[volume.status];
      if (operation !== undefined) {
        await this.apply({ operation, id: volume.id, host: '', backend: '', error: reason });
      }
    }
    const snapshots = await this.dataSource.manager
      .createQueryBuilder(SnapshotEntity, 's')
      .innerJoin(VolumeEntity, 'v', 'v.id = s.volume_id')
      .where('v.backend_id IN (:...ids)', { ids })
      .andWhere("s.status IN ('creating', 'deleting')")
      .andWhere('s.updated_at < :since', { since })
      .getMany();
    for (const snapshot of snapshots) {
      await this.apply({ operation: snapshot.status === 'creating' ? 'snapshot.create' : 'snapshot.delete', id: snapshot.id, host: '', backend: '', error: reason });
    }
  }
}
