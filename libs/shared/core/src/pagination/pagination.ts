import { badRequest } from '../errors/openstack-error';

export interface PageRequest {
  limit?: number;
  marker?: string;
}

/** Reads `limit` and `marker` from a query string, refusing nonsense with a 400. */
export function parsePageRequest(query: Record<string, unknown>, maxLimit: number): PageRequest {
  const page: PageRequest = {};
  if (query['limit'] !== undefined) {
    // Digits only, as the services' int() reads it: `limit=` is not 0, nor `limit=0x10` 16.
    const raw = query['limit'];
    const limit = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN;
    if (!Number.isInteger(limit) || limit < 0) {
      throw badRequest(`limit must be a non-negative integer, not ${JSON.stringify(raw)}.`);
    }
    page.limit = Math.min(limit, maxLimit);
  }
  if (query['marker'] !== undefined) {
    if (typeof query['marker'] !== 'string' || query['marker'] === '') {
      throw badRequest('marker must be a resource id.');
    }
    page.marker = query['marker'];
  }
  return page;
}

export interface PageLink {
  rel: 'next' | 'previous';
  href: string;
}

/** The `next` link of a page that came back full: same query, marker set to the page's last id. */
export function nextPageLink(baseUrl: string, query: Record<string, unknown>, items: readonly { id: string }[], limit: number | undefined): PageLink[] {
  const last = items.at(-1);
  if (limit === undefined || limit === 0 || items.length < limit || !last) {
    return [];
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key !== 'marker' && value !== undefined) {
      for (const item of Array.isArray(value) ? value : [value]) {
        params.append(key, String(item));
      }
    }
  }
  params.set('marker', last.id);
  return [{ rel: 'next', href: `${baseUrl}?${params.toString()}` }];
}

/** One key of a list's order. */
export interface SortKey {
  key: string;
  descending: boolean;
}

/** `items` sorted by the keys in turn (each compared with compareValues). */
export function sortByKeys<T extends Record<string, unknown>>(items: T[], order: readonly SortKey[]): T[] {
  return items.sort((a, b) => {
    for (const { key, descending } of order) {
      const result = compareValues(a[key], b[key]);
      if (result !== 0) {
        return descending ? -result : result;
      }
    }
    return 0;
  });
}

/** The order lists sort in: nulls first, numbers by value, the rest as text. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) {
    return 0;
  }
  if (a === null || a === undefined) {
    return -1;
  }
  if (b === null || b === undefined) {
    return 1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a) < String(b) ? -1 : 1;
}
