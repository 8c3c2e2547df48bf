import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QuotaEntity } from '@overcast/compute/data-access';
import { DataSource, type EntityManager } from 'typeorm';

/** What a project holds of the resources its quota counts. */
export interface ProjectUsage {
  instances: number;
  cores: number;
  ram: number;
  server_groups: number;
}

/** The quotas table (a project's limits set by an admin) and the counts quotas are checked against. */
@Injectable()
export class QuotasRepository {
  constructor(@InjectDataSource('compute') private readonly dataSource: DataSource) {}

  /** The limits set for the project, by resource. */
  async overrides(projectId: string, manager: EntityManager = this.dataSource.manager): Promise<Map<string, number>> {
    return new Map((await manager.findBy(QuotaEntity, { projectId })).map((quota) => [quota.resource, quota.hardLimit]));
  }

  /** Counts the project's live instances (deleted rows stay for usage, so they are left out), their cores and RAM, and its server groups. */
  async usage(projectId: string, manager: EntityManager = this.dataSource.manager): Promise<ProjectUsage> {
    const [usage] = await manager.query<ProjectUsage[]>(
      `SELECT count(*)::int AS instances, coalesce(sum((flavor->>'vcpus')::int), 0)::int AS cores, coalesce(sum((flavor->>'memoryMb')::int), 0)::int AS ram,
        (SELECT count(*)::int FROM server_groups WHERE project_id = $1) AS server_groups
       FROM instances WHERE project_id = $1 AND deleted_at IS NULL`,
      [projectId],
    );
    return usage ?? { instances: 0, cores: 0, ram: 0, server_groups: 0 };
  }

  /** Holds the project's quota lock until the transaction ends, so concurrent creates cannot both take the last place. */
  async lockProject(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`compute-quota:${projectId}`]);
  }

  async set(projectId: string, limits: Record<string, number>): Promise<void> {
    const rows = Object.entries(limits).map(([resource, hardLimit]) => ({ projectId, resource, hardLimit }));
    if (rows.length > 0) {
      await this.dataSource.manager.upsert(QuotaEntity, rows, ['projectId', 'resource']);
    }
  }

  async clear(projectId: string): Promise<void> {
    await this.dataSource.manager.delete(QuotaEntity, { projectId });
  }
}
