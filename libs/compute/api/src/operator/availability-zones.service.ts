import { Injectable } from '@nestjs/common';
import { type ComputeNodeEntity } from '@overcast/compute/data-access';
import { type Caller } from '../common/caller';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { ComputeNodesRepository } from './compute-nodes.repository';
import { novaTime } from './nova-format';

const RULE = 'os_compute_api:os-availability-zone';

/**
 * `os-availability-zone`: the zones the compute hosts are in. A zone is available while one of
 * its hosts is enabled and up — where the scheduler can put a server (Nova looks at enabled
 * only). Controller services have no rows, so there is no `internal` zone.
 */
@Injectable()
export class AvailabilityZonesService {
  constructor(
    private readonly nodes: ComputeNodesRepository,
    private readonly hosts: ComputeHostsService,
  ) {}

  async list(caller: Caller): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:list`);
    const zones = await this.zones();
    return { availabilityZoneInfo: zones.map(({ name, available }) => ({ zoneName: name, zoneState: { available }, hosts: null })) };
  }

  /** With, for each available zone, its enabled hosts' compute services; unavailable zones show no hosts, as in Nova. */
  async detail(caller: Caller): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:detail`);
    const now = Date.now();
    const zones = await this.zones(now);
    return {
      availabilityZoneInfo: zones.map(({ name, available, nodes }) => ({
        zoneName: name,
        zoneState: { available },
        hosts: available
          ? Object.fromEntries(
              nodes.filter((node) => !node.disabled).map((node) => [node.host, { 'nova-compute': { available: this.hosts.isUp(node, now), active: true, updated_at: novaTime(node.reportedAt) } }]),
            )
          : null,
      })),
    };
  }

  /** The zones by name, available ones first, as Nova lists them. */
  private async zones(now = Date.now()): Promise<{ name: string; available: boolean; nodes: ComputeNodeEntity[] }[]> {
    const byZone = new Map<string, ComputeNodeEntity[]>();
    for (const node of await this.nodes.all()) {
      byZone.set(node.availabilityZone, [...(byZone.get(node.availabilityZone) ?? []), node]);
    }
    const zones = [...byZone.entries()].map(([name, nodes]) => ({ name, nodes, available: nodes.some((node) => !node.disabled && this.hosts.isUp(node, now)) }));
    return zones.sort((a, b) => Number(b.available) - Number(a.available) || a.name.localeCompare(b.name));
  }
}
