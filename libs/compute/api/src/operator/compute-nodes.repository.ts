import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ComputeNodeEntity, InstanceEntity } from '@overcast/compute/data-access';
import { DataSource, IsNull } from 'typeorm';

/** What a host's instances take of it: their allocations (placement's count), how many live there and how many are busy. */
export interface NodeLoad {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  runningVms: number;
  /** Instances with a task under way (Nova's `current_workload`). */
  busy: number;
}

/** A host nothing runs on. */
export const NO_LOAD: NodeLoad = { vcpus: 0, memoryMb: 0, diskGb: 0, runningVms: 0, busy: 0 };

/** The compute hosts as the operator's views read and change them: the rows, what runs on them, their enabling and removal. */
@Injectable()
export class ComputeNodesRepository {
  constructor(@InjectDataSource('compute') private readonly dataSource: DataSource) {}

  /** Every host, oldest first (Nova lists by id, which grows with age). */
  all(): Promise<ComputeNodeEntity[]> {
    return this.dataSource.manager.find(ComputeNodeEntity, { order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(id: string): Promise<ComputeNodeEntity | null> {
    return this.dataSource.manager.findOneBy(ComputeNodeEntity, { id });
  }

  /** Hosts whose hypervisor hostname (the host's name when its hypervisor could not say) contains `pattern`, as Nova's SQL LIKE `%pattern%`. */
  searchByHypervisorHostname(pattern: string): Promise<ComputeNodeEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(ComputeNodeEntity, 'node')
      .where("coalesce(node.inventory->>'hypervisorHostname', node.host) ILIKE '%' || :pattern || '%'", { pattern })
      .orderBy('node.createdAt', 'ASC')
      .addOrderBy('node.id', 'ASC')
      .getMany();
  }

  /** Each host's load, by node id. */
  async loads(): Promise<Map<string, NodeLoad>> {
    const rows = await this.dataSource.query<(NodeLoad & { nodeId: string })[]>(
      `SELECT n.id AS "nodeId", coalesce(a.vcpus, 0)::int AS vcpus, coalesce(a.memory_mb, 0)::int AS "memoryMb", coalesce(a.disk_gb, 0)::int AS "diskGb",
         coalesce(i.running, 0)::int AS "runningVms", coalesce(i.busy, 0)::int AS busy
       FROM compute_nodes n
       LEFT JOIN (SELECT node_id, sum(vcpus) AS vcpus, sum(memory_mb) AS memory_mb, sum(disk_gb) AS disk_gb FROM allocations GROUP BY node_id) a ON a.node_id = n.id
       LEFT JOIN (SELECT node_id, count(*) AS running, count(task_state) AS busy FROM instances WHERE deleted_at IS NULL AND node_id IS NOT NULL GROUP BY node_id) i ON i.node_id = n.id`,
    );
    return new Map(rows.map(({ nodeId, ...load }) => [nodeId, load]));
  }

  /** The live instances the host runs. */
  instancesOn(host: string): Promise<InstanceEntity[]> {
    return this.dataSource.manager.find(InstanceEntity, { where: { host, deletedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async setDisabled(id: string, disabled: boolean, disabledReason: string | null): Promise<void> {
    await this.dataSource.manager.update(ComputeNodeEntity, { id }, { disabled, disabledReason });
  }

  async setForcedDown(id: string, forcedDown: boolean): Promise<void> {
    await this.dataSource.manager.update(ComputeNodeEntity, { id }, { forcedDown });
  }

  /** Removes the host unless live instances are on it (or were placed on it in the meantime: the row lock keeps claims out). */
  async deleteIfEmpty(id: string): Promise<'deleted' | 'hosting instances'> {
    return this.dataSource.transaction(async (manager) => {
      const node = await manager.findOne(ComputeNodeEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (node === null) {
        return 'deleted';
      }
      const hosted = await manager.count(InstanceEntity, { where: [{ nodeId: id, deletedAt: IsNull() }, { host: node.host, deletedAt: IsNull() }] });
      const allocated = await manager.query<{ n: number }[]>('SELECT count(*)::int AS n FROM allocations WHERE node_id = $1', [id]);
      if (hosted > 0 || (allocated[0]?.n ?? 0) > 0) {
        return 'hosting instances';
      }
      await manager.delete(ComputeNodeEntity, { id });
      return 'deleted';
    });
  }
}
