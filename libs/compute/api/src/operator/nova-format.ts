/** A timestamp as Nova's API prints its database's: ISO 8601 with microseconds and no zone (UTC). */
export const novaTime = (date: Date): string => date.toISOString().replace('Z', '000');

/** Whether a path's id can be a row's UUID; anything else would fail the query rather than match nothing. */
export const isUuid = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
