import { type ServerGroupEntity } from '@overcast/compute/data-access';
import { forbidden } from '@overcast/shared/core';
import { type EntityManager } from 'typeorm';
import { type QuotasService } from '../quotas/quotas.service';

/**
 * Nova's `server_group_members` quota, checked before servers join `group`: its live members and
 * the `adding` ones must fit its project's limit. Nova's 403 otherwise.
 */
export async function checkGroupRoom(manager: EntityManager, quotas: QuotasService, group: ServerGroupEntity, adding = 1): Promise<void> {
  const limit = (await quotas.limits(group.projectId, manager)).server_group_members;
  if (limit < 0) {
    return;
  }
  const [members] = await manager.query<{ n: number }[]>(
    'SELECT count(*)::int AS n FROM server_group_members m JOIN instances i ON i.id = m.instance_id WHERE m.group_id = $1 AND i.deleted_at IS NULL',
    [group.id],
  );
  if ((members?.n ?? 0) + adding > limit) {
    throw forbidden('Quota exceeded, too many servers in group');
  }
}
