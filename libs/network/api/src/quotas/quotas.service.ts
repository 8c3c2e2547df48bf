import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QuotaEntity } from '@overcast/network/data-access';
import { conflict } from '@overcast/shared/core';
import { DataSource, type EntityManager } from 'typeorm';

/** Neutron's default quotas (`[quotas]` in neutron.conf); -1 is unlimited. */
export const DEFAULT_QUOTAS = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  subnetpool: -1,
} as const;
export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];

/** How a project's usage of each resource is counted. */
const USAGE: Record<QuotaResource, string> = {
  network: 'SELECT count(*) FROM networks WHERE project_id = $1',
  subnet: 'SELECT count(*) FROM subnets WHERE project_id = $1',
  port: 'SELECT count(*) FROM ports WHERE project_id = $1',
  router: 'SELECT count(*) FROM routers WHERE project_id = $1',
  floatingip: 'SELECT count(*) FROM floatingips WHERE project_id = $1',
  security_group: 'SELECT count(*) FROM security_groups WHERE project_id = $1',
  security_group_rule: 'SELECT count(*) FROM security_group_rules WHERE project_id = $1',
  subnetpool: 'SELECT count(*) FROM subnetpools WHERE project_id = $1',
};

@Injectable()
export class QuotasService {
  constructor(@InjectDataSource('network') private readonly dataSource: DataSource) {}

  /** A project's limits: its own where set, the defaults elsewhere. */
  async limits(projectId: string, manager: EntityManager = this.dataSource.manager): Promise<Record<QuotaResource, number>> {
    const own = await manager.find(QuotaEntity, { where: { projectId } });
    const limits: Record<QuotaResource, number> = { ...DEFAULT_QUOTAS };
    for (const quota of own) {
      if (quota.resource in limits) {
        limits[quota.resource as QuotaResource] = quota.limit;
      }
    }
    return limits;
  }

  async usage(projectId: string, resource: QuotaResource, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [row] = (await manager.query(USAGE[resource], [projectId])) as { count: string }[];
    return Number(row?.count ?? 0);
  }

  /** Refuses, with Neutron's OverQuota, a create that would take the project past its limit. */
  async check(manager: EntityManager, projectId: string, resource: QuotaResource, adding = 1): Promise<void> {
    const limit = (await this.limits(projectId, manager))[resource];
    if (limit >= 0 && (await this.usage(projectId, resource, manager)) + adding > limit) {
      throw conflict(`Quota exceeded for resources: ['${resource}'].`, 'OverQuota');
    }
  }

  async set(projectId: string, limits: Partial<Record<QuotaResource, number>>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const [resource, limit] of Object.entries(limits)) {
        await manager.upsert(QuotaEntity, { projectId, resource, limit }, ['projectId', 'resource']);
      }
    });
  }

  async reset(projectId: string): Promise<void> {
    await this.dataSource.manager.delete(QuotaEntity, { projectId });
  }

  /** Projects with limits of their own. */
  async projectsWithOwnLimits(): Promise<string[]> {
    const rows = (await this.dataSource.query('SELECT DISTINCT project_id FROM quotas ORDER BY project_id')) as { project_id: string }[];
    return rows.map((row) => row.project_id);
  }
}
