import { type EntityManager, type EntityTarget, type FindOptionsWhere } from 'typeorm';
import { type Caller, resourceNotFound } from './caller';
import { isUuid } from './uuid';

/**
 * The row `id` of a project's resource, if the caller may see it; Cinder's "<kind> <id> could
 * not be found." otherwise (a malformed id included). `lock` takes it for the transaction.
 */
export async function visibleRow<T extends { id: string; projectId: string }>(manager: EntityManager, entity: EntityTarget<T>, caller: Caller, kind: string, id: string, lock = false): Promise<T> {
  const row = isUuid(id) ? await manager.findOne(entity, { where: { id } as FindOptionsWhere<T>, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) }) : null;
  if (row === null || !caller.sees(row)) {
    throw resourceNotFound(kind, id);
  }
  return row;
}
