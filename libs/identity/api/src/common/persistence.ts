import { conflict, notFound } from '@overcast/shared/core';
import { isUniqueViolation } from '@overcast/shared/db';
import { type FindOptionsWhere, type ObjectLiteral, type Repository } from 'typeorm';

/** Keystone's "Could not find <kind>: <id>." 404 when the row is missing. */
export async function findOr404<T extends ObjectLiteral>(repository: Repository<T>, kind: string, id: string): Promise<T> {
  const row = await repository.findOneBy({ id } as unknown as FindOptionsWhere<T>);
  if (!row) {
    throw notFound(`Could not find ${kind}: ${id}.`);
  }
  return row;
}

/** Saves, turning the database's unique violation into Keystone's 409. */
export async function saveUnique<T extends ObjectLiteral>(repository: Repository<T>, row: T, kind: string, name: string): Promise<T> {
  try {
    return await repository.save(row);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict(`Conflict occurred attempting to store ${kind} - Duplicate entry found with name ${name}.`);
    }
    throw error;
  }
}
