import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type VolumeAgentReport } from '@overcast/block-storage/contracts';
import { BackendEntity } from '@overcast/block-storage/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';

/** What a volume needs of a backend. */
export interface PlacementRequest {
  sizeGb: number;
  /** The type's `volume_backend_name` extra spec, when it has one. */
  volumeBackendName?: string;
  availabilityZone?: string;
  multiattach: boolean;
  /** The one backend that may take it: a clone lives where its source does. */
  backendId?: string;
}

/** No backend fits: says, per backend, which check turned it down. */
export class NoValidBackendError extends Error {
  override readonly name = 'NoValidBackendError';
}

/**
 * The backends the volume agents report (Cinder's host manager) and the scheduler over them:
 * filters (up and enabled, backend name, availability zone, capacity with over-subscription) and
 * the capacity weigher (most free room wins). A claim moves the backend's allocated capacity in
 * the caller's transaction, under a row lock, so concurrent creates never overbook it.
 */
@Injectable()
export class BackendsService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
  ) {}

  /**
   * An agent's report: its backends' capacity and health, as of now. Answers those of its backends
   * that a restarted agent process reports for the first time: what they were given before is lost.
   */
  async record(report: VolumeAgentReport, busVersion: string): Promise<BackendEntity[]> {
    const startedAt = report.startedAt === undefined ? null : new Date(report.startedAt);
    return this.dataSource.transaction(async (manager) => {
      const restarted: BackendEntity[] = [];
      for (const backend of report.backends) {
        const existing = await manager.findOne(BackendEntity, { where: { host: report.host, name: backend.name }, lock: { mode: 'pessimistic_write' } });
        const capacity = backend.capacity;
        const saved = await manager.save(BackendEntity, {
          id: existing?.id ?? randomUUID(),
          host: report.host,
          name: backend.name,
          volumeBackendName: backend.volumeBackendName,
          availabilityZone: backend.availabilityZone,
          driver: backend.driver,
          storageProtocol: backend.storageProtocol,
          capabilities: backend.capabilities,
          totalCapacityGb: capacity?.totalCapacityGb ?? 0,
          freeCapacityGb: capacity?.freeCapacityGb ?? 0,
          provisionedCapacityGb: capacity?.provisionedCapacityGb ?? 0,
          thinProvisioning: capacity?.thinProvisioning ?? false,
          maxOverSubscriptionRatio: capacity?.maxOverSubscriptionRatio ?? 1,
          reservedPercentage: capacity?.reservedPercentage ?? 0,
          allocatedCapacityGb: existing?.allocatedCapacityGb ?? 0,
          problem: backend.problem ?? (capacity === undefined ? 'the backend did not report its capacity' : null),
          disabled: existing?.disabled ?? false,
          disabledReason: existing?.disabledReason ?? null,
          reportedAt: new Date(),
          agentStartedAt: startedAt ?? existing?.agentStartedAt ?? null,
          busVersion,
        });
        if (existing?.agentStartedAt && startedAt && existing.agentStartedAt.getTime() !== startedAt.getTime()) {
          restarted.push(saved);
        }
      }
      return restarted;
    });
  }

  all(manager: EntityManager = this.dataSource.manager): Promise<BackendEntity[]> {
    return manager.find(BackendEntity, { order: { host: 'ASC', name: 'ASC' } });
  }

  isUp(backend: BackendEntity): boolean {
    return Date.now() - backend.reportedAt.getTime() < this.settings.backendDownSeconds * 1000;
  }

  /** Cinder's `host@backend#pool`: each backend here has one pool, named after its backend. */
  static poolName(backend: BackendEntity): string {
    return `${backend.host}@${backend.name}#${backend.volumeBackendName}`;
  }

  /** GiB a backend can still place: over-subscribed when thin, less what is reserved. */
  static room(backend: BackendEntity): number {
    const reserved = (backend.totalCapacityGb * backend.reservedPercentage) / 100;
    const ceiling = backend.thinProvisioning ? backend.totalCapacityGb * backend.maxOverSubscriptionRatio : backend.totalCapacityGb;
    return ceiling - reserved - backend.allocatedCapacityGb;
  }

  /** Why `backend` cannot take the volume, or undefined when it can. */
  private rejection(backend: BackendEntity, request: PlacementRequest): string | undefined {
    if (!this.isUp(backend)) {
      return 'its volume agent is down';
    }
    if (backend.disabled) {
      return `it is disabled${backend.disabledReason ? ` (${backend.disabledReason})` : ''}`;
    }
    if (backend.problem !== null) {
      return `it is unusable: ${backend.problem}`;
    }
    if (request.backendId !== undefined && backend.id !== request.backendId) {
      return 'the source of the volume lives on another backend';
    }
    if (request.volumeBackendName !== undefined && backend.volumeBackendName !== request.volumeBackendName) {
      return `volume_backend_name is ${backend.volumeBackendName}, not ${request.volumeBackendName}`;
    }
    if (request.availabilityZone !== undefined && backend.availabilityZone !== request.availabilityZone) {
      return `it is in availability zone ${backend.availabilityZone}`;
    }
    if (request.multiattach && !backend.capabilities.multiattach) {
      return 'it cannot attach a volume to several hosts';
    }
    const reservedFree = backend.freeCapacityGb - (backend.totalCapacityGb * backend.reservedPercentage) / 100;
    if (BackendsService.room(backend) < request.sizeGb || reservedFree < (backend.thinProvisioning ? 0 : request.sizeGb)) {
      return `not enough capacity: ${Math.max(0, Math.floor(BackendsService.room(backend)))} GiB left for ${request.sizeGb} GiB`;
    }
    return undefined;
  }

  /** Picks the backend with the most room among those that fit, and claims `sizeGb` on it; throws NoValidBackendError saying why none fits. */
  async claim(manager: EntityManager, request: PlacementRequest): Promise<BackendEntity> {
    const backends = await manager.find(BackendEntity, { order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
    const fitting = backends.filter((backend) => this.rejection(backend, request) === undefined);
    const chosen = fitting.sort((a, b) => BackendsService.room(b) - BackendsService.room(a))[0];
    if (chosen === undefined) {
      const reasons = backends.map((backend) => `${BackendsService.poolName(backend)}: ${this.rejection(backend, request) ?? ''}`);
      throw new NoValidBackendError(`No valid backend was found. ${reasons.length === 0 ? 'No volume agent has reported a backend.' : reasons.join('; ')}`);
    }
    chosen.allocatedCapacityGb += request.sizeGb;
    await manager.update(BackendEntity, { id: chosen.id }, { allocatedCapacityGb: chosen.allocatedCapacityGb });
    return chosen;
  }

  /** Grows a volume's claim on its backend (extend); refuses when the backend has no room. */
  async claimMore(manager: EntityManager, backendId: string, sizeGb: number): Promise<void> {
    const backend = await manager.findOneOrFail(BackendEntity, { where: { id: backendId }, lock: { mode: 'pessimistic_write' } });
    if (BackendsService.room(backend) < sizeGb) {
      throw badRequest(`Invalid input received: the volume's backend has ${Math.max(0, Math.floor(BackendsService.room(backend)))} GiB left, not ${sizeGb} GiB more.`);
    }
    await manager.increment(BackendEntity, { id: backendId }, 'allocatedCapacityGb', sizeGb);
  }

  async release(manager: EntityManager, backendId: string | null, sizeGb: number): Promise<void> {
    if (backendId !== null) {
      await manager.decrement(BackendEntity, { id: backendId }, 'allocatedCapacityGb', sizeGb);
    }
  }

  /** Availability zones with at least one backend up, and whether each is. */
  async availabilityZones(manager?: EntityManager): Promise<{ zoneName: string; available: boolean }[]> {
    const zones = new Map<string, boolean>();
    for (const backend of await this.all(manager)) {
      zones.set(backend.availabilityZone, (zones.get(backend.availabilityZone) ?? false) || (this.isUp(backend) && !backend.disabled));
    }
    return [...zones].map(([zoneName, available]) => ({ zoneName, available }));
  }
}
