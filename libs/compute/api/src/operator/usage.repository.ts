import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstanceEntity } from '@overcast/compute/data-access';
import { DataSource } from 'typeorm';

/** The instances usage is counted from, deleted ones included. */
@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource('compute') private readonly dataSource: DataSource) {}

  /** Those that ran during the window (launched before its end, not terminated before its start), as Nova's get_active_by_window_joined. */
  activeInWindow(start: Date, stop: Date, projectId?: string): Promise<InstanceEntity[]> {
    const query = this.dataSource.manager
      .createQueryBuilder(InstanceEntity, 'instance')
      .where('instance.launchedAt < :stop', { stop })
      .andWhere('(instance.terminatedAt IS NULL OR instance.terminatedAt > :start)', { start });
    if (projectId !== undefined) {
      query.andWhere('instance.projectId = :projectId', { projectId });
    }
    return query.orderBy('instance.createdAt', 'ASC').addOrderBy('instance.id', 'ASC').getMany();
  }
}
