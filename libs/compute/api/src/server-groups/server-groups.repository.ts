import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ServerGroupEntity } from '@overcast/compute/data-access';
import { type EntityManager, type Repository } from 'typeorm';

/** The server_groups table and its members. */
@Injectable()
export class ServerGroupsRepository {
  constructor(@InjectRepository(ServerGroupEntity, 'compute') private readonly groups: Repository<ServerGroupEntity>) {}

  find(id: string): Promise<ServerGroupEntity | null> {
    return this.groups.findOneBy({ id });
  }

  /** One project's groups (every project's without one), oldest first, `offset` and `limit` as Nova's `common.limited`. */
  list(projectId: string | undefined, offset: number, limit: number): Promise<ServerGroupEntity[]> {
    return this.groups.find({ where: projectId === undefined ? {} : { projectId }, order: { createdAt: 'ASC', id: 'ASC' }, skip: offset, take: limit });
  }

  /** Each group's members that are not deleted, in the order they joined. */
  async liveMembers(groupIds: string[]): Promise<Map<string, string[]>> {
    const members = new Map(groupIds.map((id): [string, string[]] => [id, []]));
    if (groupIds.length === 0) {
      return members;
    }
    const rows = await this.groups.manager.query<{ group_id: string; instance_id: string }[]>(
      'SELECT m.group_id, m.instance_id FROM server_group_members m JOIN instances i ON i.id = m.instance_id WHERE m.group_id = ANY($1) AND i.deleted_at IS NULL ORDER BY i.created_at, i.id',
      [groupIds],
    );
    rows.forEach((row) => members.get(row.group_id)?.push(row.instance_id));
    return members;
  }

  /**
   * Inserts the group unless its project already has `limit` of them (-1: no limit; read inside the
   * transaction). The count and the insert hold a per-project lock, so concurrent creates cannot both
   * take the last one.
   */
  async insertWithinQuota(group: Omit<ServerGroupEntity, 'createdAt'>, limit: (manager: EntityManager) => Promise<number>): Promise<'created' | 'over quota'> {
    return this.groups.manager.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`server-groups:${group.projectId}`]);
      const allowed = await limit(manager);
      if (allowed >= 0 && (await manager.countBy(ServerGroupEntity, { projectId: group.projectId })) >= allowed) {
        return 'over quota';
      }
      await manager.insert(ServerGroupEntity, group);
      return 'created';
    });
  }

  /** Removes the group; its member rows go with it. */
  async delete(id: string): Promise<void> {
    await this.groups.delete({ id });
  }
}
