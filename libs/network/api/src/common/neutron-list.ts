import { badRequest, sortByKeys } from '@overcast/shared/core';

export type View = Record<string, unknown>;

/** What Neutron reads from a list's query string besides the filters. */
const CONTROL_PARAMETERS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

function values(query: Record<string, unknown>, name: string): string[] {
  const value = query[name];
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

/** A filter value as Neutron's API converts it: booleans by name, the rest compared as text. */
function matches(actual: unknown, wanted: readonly string[]): boolean {
  if (Array.isArray(actual)) {
    return actual.some((item) => matches(item, wanted));
  }
  if (typeof actual === 'boolean') {
    return wanted.some((value) => value.toLowerCase() === String(actual));
  }
  return wanted.includes(actual === null || actual === undefined ? '' : String(actual));
}

/** `fixed_ips=ip_address=10.0.0.5` and `fixed_ips=subnet_id=…`: a port matches when one of its IPs does. */
function matchesFixedIps(actual: unknown, wanted: readonly string[]): boolean {
  const ips = Array.isArray(actual) ? (actual as Record<string, string>[]) : [];
  return wanted.every((condition) => {
    const [key = '', value = ''] = condition.split('=', 2);
    return ips.some((ip) => (key === 'ip_address_substr' ? (ip['ip_address'] ?? '').includes(value) : ip[key] === value));
  });
}

export interface ListPage {
  items: View[];
  links: { rel: 'next' | 'previous'; href: string }[];
  /** Whether the caller paged (`limit` given): only then does the answer carry `<collection>_links`. */
  paged: boolean;
}

/**
 * Neutron's list semantics over the views a caller may see: filters on any attribute (a repeated
 * parameter means any of its values), `sort_key`/`sort_dir` pairs, `limit`/`marker`/`page_reverse`
 * with next/previous links, then `fields` selection.
 */
export function listPage(views: readonly View[], query: Record<string, unknown>, options: { url: string; maxLimit: number; sortable: readonly string[] }): ListPage {
  let items = views.filter((view) =>
    Object.keys(query).every((name) => {
      if (CONTROL_PARAMETERS.has(name) || !(name in view)) {
        return true;
      }
      const wanted = values(query, name);
      return name === 'fixed_ips' ? matchesFixedIps(view[name], wanted) : matches(view[name], wanted);
    }),
  );

  const keys = values(query, 'sort_key');
  const directions = values(query, 'sort_dir');
  if (keys.length !== directions.length && directions.length > 0) {
    throw badRequest('The number of sort_keys and sort_dirs must be same');
  }
  for (const key of keys) {
    if (!options.sortable.includes(key)) {
      throw badRequest(`${key} is invalid attribute for sort_keys`);
    }
  }
  for (const direction of directions) {
    if (direction !== 'asc' && direction !== 'desc') {
      throw badRequest(`${direction} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
    }
  }
  // id last breaks ties, so that markers give a stable order.
  const order = [...keys.map((key, index) => ({ key, descending: directions[index] === 'desc' })), { key: 'id', descending: false }];
  items = sortByKeys(items, order);

  const limitText = values(query, 'limit')[0];
  const marker = values(query, 'marker')[0];
  const reverse = (values(query, 'page_reverse')[0] ?? '').toLowerCase() === 'true';
  if (limitText !== undefined && !/^\d+$/.test(limitText)) {
    throw badRequest(`Limit must be an integer 0 or greater and not '${limitText}'`);
  }
  const limit = limitText === undefined || limitText === '0' ? undefined : Math.min(Number(limitText), options.maxLimit);
  if (reverse) {
    items.reverse();
  }
  if (marker !== undefined) {
    const index = items.findIndex((item) => item['id'] === marker);
    items = index < 0 ? [] : items.slice(index + 1);
  }
  const more = limit !== undefined && items.length > limit;
  if (limit !== undefined) {
    items = items.slice(0, limit);
  }
  if (reverse) {
    items.reverse();
  }

  const links: ListPage['links'] = [];
  const linkTo = (id: unknown, pageReverse: boolean) => {
    const params = new URLSearchParams();
    for (const name of Object.keys(query)) {
      if (name !== 'marker' && name !== 'page_reverse') {
        values(query, name).forEach((item) => params.append(name, item));
      }
    }
    params.set('marker', String(id));
    if (pageReverse) {
      params.set('page_reverse', 'True');
    }
    return `${options.url}?${params.toString()}`;
  };
  const first = items[0];
  const last = items.at(-1);
  if (limit !== undefined && last && first) {
    if (reverse ? marker !== undefined : more) {
      links.push({ rel: 'next', href: linkTo(last['id'], false) });
    }
    if (reverse ? more : marker !== undefined) {
      links.push({ rel: 'previous', href: linkTo(first['id'], true) });
    }
  }

  const fields = values(query, 'fields');
  if (fields.length > 0) {
    items = items.map((item) => Object.fromEntries(fields.filter((field) => field in item).map((field) => [field, item[field]])));
  }
  return { items, links, paged: limit !== undefined };
}

/** `fields` for a single resource (`GET /v2.0/networks/{id}?fields=name`). */
export function selectFields(view: View, query: Record<string, unknown>): View {
  const fields = values(query, 'fields');
  return fields.length === 0 ? view : Object.fromEntries(fields.filter((field) => field in view).map((field) => [field, view[field]]));
}

/** The body of a list answer: `{networks: [...], networks_links: [...]}`. */
export function listBody(collection: string, page: ListPage): Record<string, unknown> {
  return page.paged ? { [collection]: page.items, [`${collection}_links`]: page.links } : { [collection]: page.items };
}
