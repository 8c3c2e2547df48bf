import { badRequest } from '@overcast/shared/core';
import { booleanText } from './body';
import { type Caller } from './caller';

function single(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/** Cinder's `get_bool_param`: a query flag in its boolean words, false when absent, 400 otherwise. */
export function booleanQuery(query: Record<string, unknown>, name: string): boolean {
  const value = single(query[name]);
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
export function listsEveryProject(caller: Caller, query: Record<string, unknown>): boolean {
  return caller.isAdmin && ['1', 'true', 'True'].includes(String(single(query['all_tenants']) ?? ''));
}
