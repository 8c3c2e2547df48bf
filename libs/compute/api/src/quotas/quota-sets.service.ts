import { Injectable } from '@nestjs/common';
import { badRequest } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { quotaSetUpdateBody } from './quota-set-input';
import { type ProjectUsage, QUOTA_RESOURCES, type QuotaResource, QuotasService } from './quotas.service';

const RULE = 'os_compute_api:os-quota-sets';

/** The names `GET /limits` gives each limit (Nova's limits view); metadata items limit both servers' and images' metadata. */
const ABSOLUTE_LIMIT_NAMES: [QuotaResource, string][] = [
  ['instances', 'maxTotalInstances'],
  ['cores', 'maxTotalCores'],
  ['ram', 'maxTotalRAMSize'],
  ['metadata_items', 'maxServerMeta'],
  ['metadata_items', 'maxImageMeta'],
  ['injected_files', 'maxPersonality'],
  ['injected_file_content_bytes', 'maxPersonalitySize'],
  ['key_pairs', 'maxTotalKeypairs'],
  ['server_groups', 'maxServerGroups'],
  ['server_group_members', 'maxServerGroupMembers'],
  ['floating_ips', 'maxTotalFloatingIps'],
  ['security_groups', 'maxSecurityGroups'],
  ['security_group_rules', 'maxSecurityGroupRules'],
];

/** What a project uses of a resource, as Nova shows it: keypairs and group members count per user, so a project's view says 0, as Nova's does. */
function inUse(usage: ProjectUsage, resource: QuotaResource): number {
  return resource in usage ? usage[resource as keyof ProjectUsage] : 0;
}

/**
 * `os-quota-sets` and `limits`: a project's limits and use, as a member sees them and an admin
 * sets them. Limits are per project; per-user quotas (`?user_id=`) are read as the project's and
 * cannot be set.
 */
@Injectable()
export class QuotaSetsService {
  constructor(private readonly quotas: QuotasService) {}

  async show(caller: Caller, projectId: string): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:show`, { project_id: projectId });
    return { quota_set: { id: projectId, ...(await this.quotas.limits(projectId)) } };
  }

  /** Each limit with what is used of it; nothing is ever reserved (usage is counted, not reserved, as Nova does since Pike). */
  async detail(caller: Caller, projectId: string): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:show`, { project_id: projectId });
    const [limits, usage] = await Promise.all([this.quotas.limits(projectId), this.quotas.usage(projectId)]);
    const details = Object.fromEntries(QUOTA_RESOURCES.map((resource) => [resource, { limit: limits[resource], in_use: inUse(usage, resource), reserved: 0 }]));
    return { quota_set: { id: projectId, ...details } };
  }

  defaults(caller: Caller, projectId: string): Record<string, unknown> {
    caller.enforce(`${RULE}:defaults`, { project_id: projectId });
    return { quota_set: { id: projectId, ...this.quotas.defaults() } };
  }

  /** Sets the limits given; without `force`, none may go below what the project already uses. Answers the limits, without `id`, as Nova does. */
  async update(caller: Caller, projectId: string, userId: string | undefined, body: unknown): Promise<Record<string, unknown>> {
    const update = quotaSetUpdateBody(body);
    caller.enforce(`${RULE}:update`, { project_id: projectId });
    if (userId !== undefined) {
      throw badRequest('Per-user quotas are not supported: set the project quota instead.');
    }
    if (!update.force) {
      const usage = await this.quotas.usage(projectId);
      for (const [resource, limit] of Object.entries(update.limits) as [QuotaResource, number][]) {
        const used = inUse(usage, resource);
        if (limit !== -1 && limit < used) {
          throw badRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${used}.`);
        }
      }
    }
    await this.quotas.set(projectId, update.limits);
    return { quota_set: await this.quotas.limits(projectId) };
  }

  /** Back to the defaults; with `?user_id=` there is nothing of the user's to remove. */
  async delete(caller: Caller, projectId: string, userId: string | undefined): Promise<void> {
    caller.enforce(`${RULE}:delete`, { project_id: projectId });
    if (userId === undefined) {
      await this.quotas.reset(projectId);
    }
  }

  /**
   * `GET /limits`: the caller's project's limits and use, or those of `tenant_id` for whoever may
   * read that project's quota (an admin). No rate limits, as Nova has none since Newton; the
   * network resources are nova-network's: unlimited and unused.
   */
  async limits(caller: Caller, tenantId: string | undefined): Promise<Record<string, unknown>> {
    caller.enforce('os_compute_api:limits');
    const projectId = tenantId ?? caller.projectId;
    if (tenantId !== undefined) {
      caller.enforce(`${RULE}:show`, { project_id: tenantId });
    }
    const [limits, usage] = await Promise.all([this.quotas.limits(projectId), this.quotas.usage(projectId)]);
    return {
      limits: {
        rate: [],
        absolute: {
          ...Object.fromEntries(ABSOLUTE_LIMIT_NAMES.map(([resource, name]) => [name, limits[resource]])),
          totalRAMUsed: usage.ram,
          totalCoresUsed: usage.cores,
          totalInstancesUsed: usage.instances,
          totalFloatingIpsUsed: 0,
          totalSecurityGroupsUsed: 0,
          totalServerGroupsUsed: usage.server_groups,
        },
      },
    };
  }
}
