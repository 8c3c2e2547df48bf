import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AllocationEntity, ComputeNodeEntity, type ServerGroupEntity } from '@overcast/compute/data-access';
import { DataSource, type EntityManager } from 'typeorm';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { ComputeHostsService } from './compute-hosts.service';

/** What an instance needs of a host. */
export interface PlacementRequest {
  instanceId: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  availabilityZone?: string;
  /** The image's `architecture` and `hypervisor_type` properties, when it has them. */
  architecture?: string;
  hypervisorType?: string;
  /** The server group the instance is a member of. */
  group?: Pick<ServerGroupEntity, 'id' | 'policy' | 'rules'>;
  /** Hosts where this build already failed (Nova's RetryFilter). */
  excludeHosts: string[];
  /** A resize or cold migration: the instance's allocation passes to the migration, which holds the source's room until the move is confirmed or reverted. */
  move?: MoveClaim;
}

export interface MoveClaim {
  migrationUuid: string;
  sourceHost: string;
  /** A resize may stay on its host (Nova's `allow_resize_to_same_host`); a cold migration never does. */
  sameHostAllowed: boolean;
}

/** No host fits: the message says, per host, which filter turned it down. */
export class NoValidHostError extends Error {
  override readonly name = 'NoValidHostError';
}

interface Candidate {
  node: ComputeNodeEntity;
  freeVcpus: number;
  freeMemoryMb: number;
  freeDiskGb: number;
  groupMembers: number;
}

/**
 * Nova's filter scheduler over placement's allocations: the filters (compute up and enabled,
 * availability zone, retry, image properties, RAM / cores / disk with the allocation ratios,
 * server-group affinity and anti-affinity) and a weigher (spread by default, stack by config;
 * soft affinity rules first). A claim inserts the instance's allocation in one transaction that
 * holds every host's row lock, so concurrent boots never overbook a host.
 */
@Injectable()
export class SchedulerService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
    private readonly hosts: ComputeHostsService,
  ) {}

  /** Picks a host and claims its resources for the instance, or throws NoValidHostError explaining each host's refusal. */
  async claim(request: PlacementRequest): Promise<ComputeNodeEntity> {
    return this.dataSource.transaction(async (manager) => {
      const nodes = await manager.find(ComputeNodeEntity, { order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
      if (nodes.length === 0) {
        throw new NoValidHostError('No valid host was found. There are no compute hosts.');
      }
      if (request.move !== undefined) {
        await manager.update(AllocationEntity, { instanceId: request.instanceId }, { instanceId: request.move.migrationUuid });
      }
      const candidates = await this.candidates(manager, nodes, request.group?.id);
      const placedMembers = candidates.reduce((sum, candidate) => sum + candidate.groupMembers, 0);
      const refusals: string[] = [];
      const passing: Candidate[] = [];
      for (const candidate of candidates) {
        const refusal = this.refusal(candidate, request, placedMembers);
        if (refusal === undefined) {
          passing.push(candidate);
        } else {
          refusals.push(`${candidate.node.host}: ${refusal}`);
        }
      }
      const chosen = this.best(passing, request.group?.policy);
      if (chosen === undefined) {
        throw new NoValidHostError(`No valid host was found. ${refusals.join('; ')}.`);
      }
      await manager.insert(AllocationEntity, {
        instanceId: request.instanceId,
        nodeId: chosen.node.id,
        vcpus: request.vcpus,
        memoryMb: request.memoryMb,
        diskGb: request.diskGb,
        createdAt: new Date(),
      });
      return chosen.node;
    });
  }

  /** Gives back what an instance (or a migration) held; nothing held is fine. */
  async release(consumerId: string): Promise<void> {
    await this.dataSource.manager.delete(AllocationEntity, { instanceId: consumerId });
  }

  /** A move is undone: the instance gives back the destination's room and takes the source's back from the migration. */
  async revertMove(instanceId: string, migrationUuid: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(AllocationEntity, { instanceId });
      await manager.update(AllocationEntity, { instanceId: migrationUuid }, { instanceId });
    });
  }

  /** Each host with what is left of it after the allocations, and how many members of the group it holds. */
  private async candidates(manager: EntityManager, nodes: ComputeNodeEntity[], groupId: string | undefined): Promise<Candidate[]> {
    const used = new Map(
      (
        await manager.query<{ node_id: string; vcpus: number; memory_mb: number; disk_gb: number }[]>(
          'SELECT node_id, sum(vcpus)::int AS vcpus, sum(memory_mb)::int AS memory_mb, sum(disk_gb)::int AS disk_gb FROM allocations GROUP BY node_id',
        )
      ).map((row) => [row.node_id, row]),
    );
    const members = new Map<string, number>();
    if (groupId !== undefined) {
      const rows = await manager.query<{ node_id: string; members: number }[]>(
        'SELECT a.node_id, count(*)::int AS members FROM server_group_members m JOIN allocations a ON a.instance_id = m.instance_id WHERE m.group_id = $1 GROUP BY a.node_id',
        [groupId],
      );
      rows.forEach((row) => members.set(row.node_id, row.members));
    }
    return nodes.map((node) => {
      const inventory = node.inventory;
      const usage = used.get(node.id);
      return {
        node,
        freeVcpus: (inventory?.vcpus ?? 0) * this.settings.cpuAllocationRatio - (usage?.vcpus ?? 0),
        freeMemoryMb: (inventory?.memoryMb ?? 0) * this.settings.ramAllocationRatio - (usage?.memory_mb ?? 0),
        freeDiskGb: (inventory?.localGb ?? 0) * this.settings.diskAllocationRatio - (usage?.disk_gb ?? 0),
        groupMembers: members.get(node.id) ?? 0,
      };
    });
  }

  /** The first filter that turns the host down, in words an operator can act on; undefined when it passes them all. */
  private refusal(candidate: Candidate, request: PlacementRequest, placedMembers: number): string | undefined {
    const { node } = candidate;
    const inventory = node.inventory;
    if (node.disabled) {
      return `ComputeFilter: the host is disabled${node.disabledReason ? ` (${node.disabledReason})` : ''}`;
    }
    if (!this.hosts.isUp(node)) {
      return `ComputeFilter: the host is down (its agent last reported at ${node.reportedAt.toISOString()})`;
    }
    if (inventory === null) {
      return `ComputeFilter: the hypervisor is unusable${node.problem ? `: ${node.problem}` : ''}`;
    }
    if (request.excludeHosts.includes(node.host)) {
      return 'RetryFilter: the build already failed on this host';
    }
    if (request.move !== undefined && !request.move.sameHostAllowed && node.host === request.move.sourceHost) {
      return 'the server is already on this host';
    }
    if (request.availabilityZone !== undefined && request.availabilityZone !== node.availabilityZone) {
      return `AvailabilityZoneFilter: the host is in zone ${node.availabilityZone}, not ${request.availabilityZone}`;
    }
    if (request.architecture !== undefined && request.architecture !== inventory.cpuArch) {
      return `ImagePropertiesFilter: the image needs architecture ${request.architecture}, the host is ${inventory.cpuArch}`;
    }
    if (request.hypervisorType !== undefined && request.hypervisorType.toLowerCase() !== inventory.hypervisorType.toLowerCase()) {
      return `ImagePropertiesFilter: the image needs hypervisor type ${request.hypervisorType}, the host has ${inventory.hypervisorType}`;
    }
    if (candidate.freeMemoryMb < request.memoryMb) {
      return `RamFilter: needs ${request.memoryMb} MiB of RAM, ${Math.max(0, candidate.freeMemoryMb)} MiB free of ${inventory.memoryMb} MiB × ${this.settings.ramAllocationRatio}`;
    }
    if (candidate.freeVcpus < request.vcpus) {
      return `CoreFilter: needs ${request.vcpus} vCPUs, ${Math.max(0, candidate.freeVcpus)} free of ${inventory.vcpus} × ${this.settings.cpuAllocationRatio}`;
    }
    if (candidate.freeDiskGb < request.diskGb) {
      return `DiskFilter: needs ${request.diskGb} GiB of disk, ${Math.max(0, candidate.freeDiskGb)} GiB free of ${inventory.localGb} GiB × ${this.settings.diskAllocationRatio}`;
    }
    const group = request.group;
    // Affinity binds once a member is placed; the first one may go anywhere.
    if (group?.policy === 'affinity' && placedMembers > 0 && candidate.groupMembers === 0) {
      return `ServerGroupAffinityFilter: the other members of server group ${group.id} are on another host`;
    }
    if (group?.policy === 'anti-affinity' && candidate.groupMembers >= (group.rules['max_server_per_host'] ?? 1)) {
      return `ServerGroupAntiAffinityFilter: the host already holds a member of server group ${group.id}`;
    }
    return undefined;
  }

  /** The weigher: soft group rules first, then spread (most free RAM) or stack (least). */
  private best(passing: Candidate[], policy: string | undefined): Candidate | undefined {
    const sign = this.settings.schedulerWeigher === 'spread' ? 1 : -1;
    const groupWeight = (candidate: Candidate) => (policy === 'soft-affinity' ? candidate.groupMembers : policy === 'soft-anti-affinity' ? -candidate.groupMembers : 0);
    return [...passing].sort((a, b) => groupWeight(b) - groupWeight(a) || sign * (b.freeMemoryMb - a.freeMemoryMb) || a.node.host.localeCompare(b.node.host))[0];
  }
}
