import { badRequest } from '@overcast/shared/core';
import { booleanText } from './body';
import { type Caller } from './caller';

/** A query parameter's value as text (the first, when it is repeated). */
export function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}

/** Cinder's `get_bool_param`: a query flag in its boolean words, false when absent, 400 otherwise. */
export function booleanQuery(query: Record<string, unknown>, name: string): boolean {
  const value = queryValue(query, name);
  if (value === undefined) {
    return false;
  }
  const parsed = booleanText().safeParse(value);
  if (!parsed.success) {
    throw badRequest(`Value '${String(value)}' for '${name}' is not a boolean.`);
  }
  return parsed.data;
}

/** Whether a list covers every project: an admin asking with `all_tenants`. */
function listsEveryProject(caller: Caller, query: Record<string, unknown>): boolean {
  return caller.isAdmin && ['1', 'true', 'True'].includes(queryValue(query, 'all_tenants') ?? '');
}

/** The where-clause of a list: every project's rows (an admin with `all_tenants`), or the caller's project's. */
export function listScope(caller: Caller, query: Record<string, unknown>): { projectId?: string } {
  return listsEveryProject(caller, query) ? {} : { projectId: caller.projectId };
}
