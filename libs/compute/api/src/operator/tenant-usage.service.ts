import { Injectable } from '@nestjs/common';
import { type InstanceEntity } from '@overcast/compute/data-access';
import { type Caller } from '../common/caller';
import { queryText } from '../common/nova-list';
import { novaTime } from './nova-format';
import { UsageRepository } from './usage.repository';
import { type UsageWindow, usageWindow } from './usage-window';

const RULE = 'os_compute_api:os-simple-tenant-usage';
const HOUR_MS = 3_600_000;

interface ServerUsage {
  instance_id: string;
  name: string;
  tenant_id: string;
  hours: number;
  flavor: string;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

/** The hours an instance ran within the window: from its launch to its termination, clipped to the window (Nova's `_hours_for`). */
function hoursWithin(instance: InstanceEntity, window: UsageWindow): number {
  const launched = instance.launchedAt as Date;
  const start = Math.max(launched.getTime(), window.start.getTime());
  const stop = Math.min(window.stop.getTime(), instance.terminatedAt?.getTime() ?? Number.POSITIVE_INFINITY);
  return Math.max(0, stop - start) / HOUR_MS;
}

function serverUsage(instance: InstanceEntity, window: UsageWindow, now: Date): ServerUsage {
  const launched = instance.launchedAt as Date;
  const ended = instance.terminatedAt;
  return {
    instance_id: instance.id,
    name: instance.displayName,
    tenant_id: instance.projectId,
    hours: hoursWithin(instance, window),
    flavor: instance.flavor.name,
    vcpus: instance.flavor.vcpus,
    memory_mb: instance.flavor.memoryMb,
    local_gb: instance.flavor.rootGb + instance.flavor.ephemeralGb,
    started_at: novaTime(launched),
    ended_at: ended === null ? null : novaTime(ended),
    state: ended === null ? instance.vmState : 'terminated',
    uptime: Math.floor(((ended ?? now).getTime() - launched.getTime()) / 1000),
  };
}

/**
 * `os-simple-tenant-usage`: what each project's servers used over a window, in hours of the
 * server and of its vCPUs, MiB of RAM and GiB of disk. Counted from the instances' launch and
 * termination times; deleted instances keep their rows, so their usage stays.
 */
@Injectable()
export class TenantUsageService {
  constructor(private readonly usage: UsageRepository) {}

  /** Every project's usage (an admin's view); each server's only with `detailed=1`. */
  async list(caller: Caller, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:list`);
    const window = usageWindow(query);
    return { tenant_usages: await this.summaries(window, queryText(query, 'detailed') === '1') };
  }

  /** One project's usage with its servers'; `{}` when it used nothing, as Nova's. */
  async show(caller: Caller, projectId: string, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:show`, { project_id: projectId });
    const [summary] = await this.summaries(usageWindow(query), true, projectId);
    return { tenant_usage: summary ?? {} };
  }

  private async summaries(window: UsageWindow, detailed: boolean, projectId?: string): Promise<Record<string, unknown>[]> {
    const now = new Date();
    const byProject = new Map<string, ServerUsage[]>();
    for (const instance of await this.usage.activeInWindow(window.start, window.stop, projectId)) {
      byProject.set(instance.projectId, [...(byProject.get(instance.projectId) ?? []), serverUsage(instance, window, now)]);
    }
    const total = (usages: ServerUsage[], per: (usage: ServerUsage) => number) => usages.reduce((sum, usage) => sum + per(usage) * usage.hours, 0);
    return [...byProject.entries()].map(([tenantId, usages]) => ({
      tenant_id: tenantId,
      ...(detailed ? { server_usages: usages } : {}),
      total_local_gb_usage: total(usages, (usage) => usage.local_gb),
      total_vcpus_usage: total(usages, (usage) => usage.vcpus),
      total_memory_mb_usage: total(usages, (usage) => usage.memory_mb),
      total_hours: total(usages, () => 1),
      start: novaTime(window.start),
      stop: novaTime(window.stop),
    }));
  }
}
