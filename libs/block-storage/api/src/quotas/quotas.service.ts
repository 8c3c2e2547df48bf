import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QuotaEntity, VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { badRequest, OpenStackError } from '@overcast/shared/core';
import { DataSource, type EntityManager } from 'typeorm';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { type Caller } from '../common/caller';
import { GLOBAL_QUOTA_RESOURCES, PER_TYPE_PARTS, type QuotaResource, quotaResources, quotaUpdateBody, typeQuotaResource } from './quota-resources';

export type { QuotaResource } from './quota-resources';

export interface QuotaUsage {
  volumes: number;
  snapshots: number;
  /** Volumes' and snapshots' sizes, as Cinder counts them. */
  gigabytes: number;
}

/**
 * Cinder's defaults for what this service does not serve (backups, groups): listed, settable and
 * stored, so clients and operators see the quota set they know; nothing counts against them.
 */
const UNSERVED_DEFAULTS = { backups: 10, backup_gigabytes: 1000, groups: 10 };

const NO_USAGE: QuotaUsage = { volumes: 0, snapshots: 0, gigabytes: 0 };

/**
 * Cinder's quotas: a project's own limits over the configured defaults, checked against what it
 * uses now. A check runs in the creating transaction under a per-project lock, so two creates
 * cannot both take the last unit; a quota update takes the same lock.
 */
@Injectable()
export class QuotasService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
  ) {}

  defaults(): Record<QuotaResource, number> {
    return {
      volumes: this.settings.quotaVolumes,
      per_volume_gigabytes: this.settings.quotaPerVolumeGigabytes,
      snapshots: this.settings.quotaSnapshots,
      gigabytes: this.settings.quotaGigabytes,
      ...UNSERVED_DEFAULTS,
    };
  }

  async limits(manager: EntityManager, projectId: string): Promise<Record<QuotaResource, number>> {
    return this.globalLimits(await this.ownLimits(manager, projectId));
  }

  async usage(manager: EntityManager, projectId: string): Promise<QuotaUsage> {
    return total(await this.usageByType(manager, projectId));
  }

  /**
   * Refuses, with Cinder's 413, a change that takes the project over a limit: `add` is what the
   * operation adds, `volumeSize` the size of the one volume it makes or grows to, `volumeTypeId`
   * the type whose own quotas (`volumes_<type>`…) it also counts against.
   */
  async check(manager: EntityManager, projectId: string, add: Partial<QuotaUsage>, volumeSize?: number, volumeTypeId?: string): Promise<void> {
    await this.lock(manager, projectId);
    const own = await this.ownLimits(manager, projectId);
    const limits = this.globalLimits(own);
    if (volumeSize !== undefined && limits.per_volume_gigabytes >= 0 && volumeSize > limits.per_volume_gigabytes) {
      throw new OpenStackError('payloadTooLarge', `VolumeSizeExceedsLimit: Requested volume size ${volumeSize}G is larger than maximum allowed limit ${limits.per_volume_gigabytes}G.`);
    }
    const byType = await this.usageByType(manager, projectId);
    const used = total(byType);
    const type = volumeTypeId === undefined ? null : await manager.findOneBy(VolumeTypeEntity, { id: volumeTypeId });
    for (const part of PER_TYPE_PARTS) {
      const more = add[part] ?? 0;
      const counted: [string, number, number][] = [[part, limits[part], used[part]]];
      if (type !== null) {
        const resource = typeQuotaResource(part, type.name);
        counted.push([resource, own.get(resource) ?? -1, byType.get(type.id)?.[part] ?? 0]);
      }
      for (const [resource, limit, inUse] of counted) {
        if (more > 0 && limit >= 0 && inUse + more > limit) {
          throw new OpenStackError('payloadTooLarge', quotaMessage(part, resource, limit, inUse, more));
        }
      }
    }
  }

  /** `GET /os-quota-sets/{project}`, with `{limit, in_use, reserved}` per resource when `usage` is asked. */
  async show(caller: Caller, projectId: string, usage: boolean): Promise<unknown> {
    caller.enforce('read', projectId);
    const manager = this.dataSource.manager;
    const set = await this.quotaSet(manager, projectId);
    if (!usage) {
      return { quota_set: { ...set, id: projectId } };
    }
    const inUse = await this.inUse(manager, projectId);
    const detailed = Object.fromEntries(Object.entries(set).map(([resource, limit]) => [resource, { limit, in_use: inUse.get(resource) ?? 0, reserved: 0 }]));
    return { quota_set: { ...detailed, id: projectId } };
  }

  /** `GET /os-quota-sets/{project}/defaults`. */
  async showDefaults(caller: Caller, projectId: string): Promise<unknown> {
    caller.enforce('read', projectId);
    return { quota_set: { ...this.limitsOf(await this.typeNames(this.dataSource.manager), new Map()), id: projectId } };
  }

  /** `PUT /os-quota-sets/{project}`: a limit below what the project uses now is refused, as Cinder does (-1 and per_volume_gigabytes excepted). */
  async update(caller: Caller, projectId: string, body: unknown): Promise<unknown> {
    caller.enforce('volume_extension:quotas:update', projectId);
    return this.dataSource.transaction(async (manager) => {
      await this.lock(manager, projectId);
      const limits = quotaUpdateBody(body, quotaResources(await this.typeNames(manager)));
      const inUse = await this.inUse(manager, projectId);
      for (const [resource, limit] of limits) {
        const used = inUse.get(resource) ?? 0;
        if (resource !== 'per_volume_gigabytes' && limit !== -1 && limit < used) {
          throw badRequest(`Quota ${resource} limit must be equal or greater than existing resources. Current usage is ${used} and the requested limit is ${limit}.`);
        }
      }
      await manager.upsert(
        QuotaEntity,
        [...limits].map(([resource, hardLimit]) => ({ projectId, resource, hardLimit })),
        ['projectId', 'resource'],
      );
      return { quota_set: await this.quotaSet(manager, projectId) };
    });
  }

  /** `DELETE /os-quota-sets/{project}`: back to the defaults. */
  async reset(caller: Caller, projectId: string): Promise<void> {
    caller.enforce('volume_extension:quotas:update', projectId);
    await this.dataSource.manager.delete(QuotaEntity, { projectId });
  }

  /** `GET /limits`: the project's absolute limits with what it uses (Cinder's limits and used-limits). */
  async absoluteLimits(caller: Caller): Promise<unknown> {
    const manager = this.dataSource.manager;
    const limits = await this.limits(manager, caller.projectId);
    const used = caller.allows('read') ? await this.usage(manager, caller.projectId) : undefined;
    return {
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: limits.volumes,
          maxTotalSnapshots: limits.snapshots,
          maxTotalVolumeGigabytes: limits.gigabytes,
          maxTotalBackups: limits.backups,
          maxTotalBackupGigabytes: limits.backup_gigabytes,
          ...(used === undefined
            ? {}
            : { totalVolumesUsed: used.volumes, totalGigabytesUsed: used.gigabytes, totalSnapshotsUsed: used.snapshots, totalBackupsUsed: 0, totalBackupGigabytesUsed: 0 }),
        },
      },
    };
  }

  /** Every limit of the project's quota set, per-type ones included. */
  private async quotaSet(manager: EntityManager, projectId: string): Promise<Record<string, number>> {
    return this.limitsOf(await this.typeNames(manager), await this.ownLimits(manager, projectId));
  }

  /** The quota set over these types: the project's `own` limits, else the defaults (-1 for a type's). */
  private limitsOf(typeNames: readonly string[], own: Map<string, number>): Record<string, number> {
    const defaults: Record<string, number> = this.defaults();
    return Object.fromEntries(quotaResources(typeNames).map((resource) => [resource, own.get(resource) ?? defaults[resource] ?? -1]));
  }

  /** What the project uses of each resource of its quota set; what is not served uses nothing. */
  private async inUse(manager: EntityManager, projectId: string): Promise<Map<string, number>> {
    const byType = await this.usageByType(manager, projectId);
    const inUse = new Map<string, number>(Object.entries(total(byType)));
    for (const type of await manager.find(VolumeTypeEntity)) {
      for (const part of PER_TYPE_PARTS) {
        inUse.set(typeQuotaResource(part, type.name), byType.get(type.id)?.[part] ?? 0);
      }
    }
    return inUse;
  }

  /** Volumes and snapshots (by their volume's type) and their GiB, per volume type id. */
  private async usageByType(manager: EntityManager, projectId: string): Promise<Map<string, QuotaUsage>> {
    const rows = await manager.query<{ type_id: string; kind: 'volumes' | 'snapshots'; count: number; size: number }[]>(
      `SELECT type_id, kind, count(*)::int AS count, coalesce(sum(size), 0)::int AS size FROM (
         SELECT volume_type_id AS type_id, 'volumes' AS kind, size FROM volumes WHERE project_id = $1
         UNION ALL
         SELECT v.volume_type_id, 'snapshots', s.size FROM snapshots s JOIN volumes v ON v.id = s.volume_id WHERE s.project_id = $1
       ) counted GROUP BY type_id, kind`,
      [projectId],
    );
    const byType = new Map<string, QuotaUsage>();
    for (const row of rows) {
      const usage = byType.get(row.type_id) ?? NO_USAGE;
      byType.set(row.type_id, { ...usage, [row.kind]: row.count, gigabytes: usage.gigabytes + row.size });
    }
    return byType;
  }

  private globalLimits(own: Map<string, number>): Record<QuotaResource, number> {
    const defaults = this.defaults();
    return Object.fromEntries(GLOBAL_QUOTA_RESOURCES.map((resource) => [resource, own.get(resource) ?? defaults[resource]])) as Record<QuotaResource, number>;
  }

  private async ownLimits(manager: EntityManager, projectId: string): Promise<Map<string, number>> {
    return new Map((await manager.findBy(QuotaEntity, { projectId })).map((quota) => [quota.resource, quota.hardLimit]));
  }

  private async typeNames(manager: EntityManager): Promise<string[]> {
    return (await manager.find(VolumeTypeEntity, { order: { name: 'ASC' } })).map((type) => type.name);
  }

  private async lock(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`block-storage-quota:${projectId}`]);
  }
}

function total(byType: Map<string, QuotaUsage>): QuotaUsage {
  const sum = { ...NO_USAGE };
  for (const usage of byType.values()) {
    for (const part of PER_TYPE_PARTS) {
      sum[part] += usage[part];
    }
  }
  return sum;
}

/** Cinder's words for an exceeded quota: `part` is what is counted, `resource` the quota (`volumes`, `volumes_<type>`…). */
function quotaMessage(part: keyof QuotaUsage, resource: string, limit: number, used: number, requested: number): string {
  switch (part) {
    case 'volumes':
      return `VolumeLimitExceeded: Maximum number of volumes allowed (${limit}) exceeded for quota '${resource}'.`;
    case 'snapshots':
      return `SnapshotLimitExceeded: Maximum number of snapshots allowed (${limit}) exceeded for quota '${resource}'.`;
    case 'gigabytes':
      return `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${requested}G, quota is ${limit}G and ${used}G has been consumed.`;
  }
}
