import { Inject, Injectable } from '@nestjs/common';
import { type FlavorEntity } from '@overcast/compute/data-access';
import { forbidden } from '@overcast/shared/core';
import { type EntityManager } from 'typeorm';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { type ProjectUsage, QuotasRepository } from './quotas.repository';

/** The resources of Nova's quota engine at 2.1, in its order; the last four are nova-network's, kept so the API's shape stays. */
export const QUOTA_RESOURCES = [
  'cores',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'instances',
  'key_pairs',
  'metadata_items',
  'ram',
  'server_groups',
  'server_group_members',
  'fixed_ips',
  'floating_ips',
  'security_groups',
  'security_group_rules',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** A limit for each resource; -1 is unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

export { type ProjectUsage } from './quotas.repository';

/** The resources a create of instances counts. */
type InstanceResource = 'instances' | 'cores' | 'ram';

/**
 * Each project's limits — the configured defaults (Nova's `[quota]`) unless an admin set one for
 * it — what it uses of them, and the check a create makes against them.
 */
@Injectable()
export class QuotasService {
  constructor(
    private readonly quotas: QuotasRepository,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  /** The limits of a project nobody set any for. Personality files and nova-network's resources have no setting: Nova's defaults. */
  defaults(): QuotaLimits {
    const settings = this.settings;
    return {
      cores: settings.quotaCores,
      injected_files: 5,
      injected_file_content_bytes: 10240,
      injected_file_path_bytes: 255,
      instances: settings.quotaInstances,
      key_pairs: settings.quotaKeyPairs,
      metadata_items: settings.quotaMetadataItems,
      ram: settings.quotaRam,
      server_groups: settings.quotaServerGroups,
      server_group_members: settings.quotaServerGroupMembers,
      fixed_ips: -1,
      floating_ips: -1,
      security_groups: -1,
      security_group_rules: -1,
    };
  }

  async limits(projectId: string, manager?: EntityManager): Promise<QuotaLimits> {
    const overrides = await this.quotas.overrides(projectId, manager);
    const limits = this.defaults();
    for (const resource of QUOTA_RESOURCES) {
      limits[resource] = overrides.get(resource) ?? limits[resource];
    }
    return limits;
  }

  usage(projectId: string): Promise<ProjectUsage> {
    return this.quotas.usage(projectId);
  }

  /** Sets some of the project's limits; the others keep theirs. */
  set(projectId: string, limits: Partial<QuotaLimits>): Promise<void> {
    return this.quotas.set(projectId, limits);
  }

  /** Back to the defaults. */
  reset(projectId: string): Promise<void> {
    return this.quotas.clear(projectId);
  }

  /** Nova's 403 when a server asks for more metadata items than the project may have. */
  async checkMetadata(projectId: string, items: number): Promise<void> {
    (await this.metadataLimit(projectId))(items);
  }

  /**
   * The project's metadata_items check, read now, to apply inside a transaction that must not
   * query through another connection (which would wait on it in embedded mode).
   */
  async metadataLimit(projectId: string): Promise<(items: number) => void> {
    const limit = unlimitedAsInfinity((await this.limits(projectId)).metadata_items);
    return (items) => {
      if (items > limit) {
        throw forbidden(`Quota exceeded for metadata_items: Requested ${items}, but limit is ${limit}.`);
      }
    };
  }

  /** A resize takes the new flavor's cores and RAM in place of the old one's: Nova's 403 when what it adds does not fit. */
  async checkResize(projectId: string, from: Pick<FlavorEntity, 'vcpus' | 'memoryMb'>, to: Pick<FlavorEntity, 'vcpus' | 'memoryMb'>): Promise<void> {
    const limits = await this.limits(projectId);
    const used = await this.quotas.usage(projectId);
    const growth = [['cores', to.vcpus - from.vcpus] as const, ['ram', to.memoryMb - from.memoryMb] as const];
    for (const [resource, added] of growth) {
      const limit = unlimitedAsInfinity(limits[resource]);
      if (added > 0 && used[resource] + added > limit) {
        throw forbidden(`Quota exceeded for ${resource}: Requested ${added}, but already used ${used[resource]} of ${limit} ${resource}`);
      }
    }
  }

  /**
   * How many of the asked instances the project's quota allows (max_count if it can, else
   * min_count), under a lock on the project held until `manager`'s transaction ends, so that
   * concurrent creates cannot both take the last place.
   */
  async countWithinQuota(manager: EntityManager, projectId: string, flavor: Pick<FlavorEntity, 'vcpus' | 'memoryMb'>, asked: { minCount: number; maxCount: number }): Promise<number> {
    await this.quotas.lockProject(manager, projectId);
    const limits = await this.limits(projectId, manager);
    const used = await this.quotas.usage(projectId, manager);
    const per = (resource: InstanceResource) => (resource === 'instances' ? 1 : resource === 'cores' ? flavor.vcpus : flavor.memoryMb);
    const exceeded = (count: number) => (['instances', 'cores', 'ram'] as const).find((resource) => used[resource] + per(resource) * count > unlimitedAsInfinity(limits[resource]));
    // As many as the quota allows, from max_count down to min_count.
    for (let count = asked.maxCount; count >= asked.minCount; count--) {
      if (exceeded(count) === undefined) {
        return count;
      }
    }
    const resource = exceeded(asked.minCount) ?? 'instances';
    throw forbidden(`Quota exceeded for ${resource}: Requested ${per(resource) * asked.minCount}, but already used ${used[resource]} of ${unlimitedAsInfinity(limits[resource])} ${resource}`);
  }
}

function unlimitedAsInfinity(limit: number): number {
  return limit < 0 ? Number.POSITIVE_INFINITY : limit;
}
