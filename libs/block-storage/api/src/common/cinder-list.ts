import { badRequest, notFound, sortByKeys } from '@overcast/shared/core';
import { queryValue } from './query';

export type View = Record<string, unknown>;

/** The v1 names Cinder still takes for sort keys and filters. */
const OLD_NAMES: Record<string, string> = { display_name: 'name', display_description: 'description' };

/** What Cinder reads from a list's query string besides the filters. */
const CONTROL_PARAMETERS = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants', 'with_count']);

/** `metadata={'k': 'v'}` as the cinder client writes it: a Python dict literal of strings. */
function parseMetadataFilter(text: string): Record<string, string> {
  try {
    const parsed = JSON.parse(text.replace(/'/g, '"')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
    }
  } catch {
    // falls through to the 400 below
  }
  throw badRequest(`Invalid input received: metadata filter ${text} is not a dictionary.`);
}

function matches(view: View, name: string, wanted: string): boolean {
  const actual = view[name];
  if (name === 'metadata') {
    const metadata = (actual ?? {}) as Record<string, string>;
    return Object.entries(parseMetadataFilter(wanted)).every(([key, value]) => metadata[key] === value);
  }
  if (typeof actual === 'boolean') {
    return ['true', '1', 'yes', 't', 'on'].includes(wanted.toLowerCase()) === actual;
  }
  return String(actual ?? '') === wanted;
}

/** The sort pairs of `sort=key:dir,…` or `sort_key`/`sort_dir`; Cinder's default is newest first. */
function sortOrder(query: Record<string, unknown>, sortable: readonly string[]): { key: string; descending: boolean }[] {
  const sort = queryValue(query, 'sort');
  const sortKey = queryValue(query, 'sort_key');
  if (sort !== undefined && (sortKey !== undefined || queryValue(query, 'sort_dir') !== undefined)) {
    throw badRequest("Invalid input received: The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
  }
  const pairs =
    sort !== undefined
      ? sort.split(',').map((part) => {
          const [key = '', direction = 'desc'] = part.trim().split(':');
          return { key, direction };
        })
      : sortKey !== undefined
        ? [{ key: sortKey, direction: queryValue(query, 'sort_dir') ?? 'desc' }]
        : [{ key: 'created_at', direction: 'desc' }];
  return pairs.map(({ key: given, direction }) => {
    const key = OLD_NAMES[given] ?? given;
    if (!sortable.includes(key)) {
      throw badRequest(`Invalid input received: Invalid sort key ${given}`);
    }
    if (direction !== 'asc' && direction !== 'desc') {
      throw badRequest(`Invalid input received: Unknown sort direction, must be 'desc' or 'asc'`);
    }
    return { key, descending: direction === 'desc' };
  });
}

export interface ListOptions {
  /** The collection's URL, for the next link. */
  url: string;
  maxLimit: number;
  /** The filters Cinder accepts on this resource; others are ignored, as Cinder does. */
  filters: readonly string[];
  sortable: readonly string[];
}

/**
 * Cinder's list semantics over the views a caller may see: the resource's filters (`metadata`
 * as a dict), `sort` pairs (or the old `sort_key`/`sort_dir`), `limit`/`marker`/`offset`, and a
 * next link when the page came back full.
 */
export function listPage(views: readonly View[], query: Record<string, unknown>, options: ListOptions): { items: View[]; links: { rel: 'next'; href: string }[] } {
  let items = views.filter((view) =>
    Object.keys(query).every((given) => {
      const wanted = queryValue(query, given);
      const name = OLD_NAMES[given] ?? given;
      return CONTROL_PARAMETERS.has(name) || !options.filters.includes(name) || wanted === undefined || matches(view, name, wanted);
    }),
  );
  // id breaks ties, so that markers give a stable order.
  const order = [...sortOrder(query, options.sortable), { key: 'id', descending: true }];
  items = sortByKeys(items, order);

  const limitText = queryValue(query, 'limit');
  const offsetText = queryValue(query, 'offset');
  for (const [name, text] of [
    ['limit', limitText],
    ['offset', offsetText],
  ] as const) {
    if (text !== undefined && !/^\d+$/.test(text)) {
      throw badRequest(`Invalid input received: ${name} param must be an integer`);
    }
  }
  const marker = queryValue(query, 'marker');
  if (marker !== undefined) {
    const index = items.findIndex((item) => item['id'] === marker);
    if (index < 0) {
      throw notFound(`Marker ${marker} could not be found.`);
    }
    items = items.slice(index + 1);
  }
  items = items.slice(Number(offsetText ?? 0));
  const limit = Math.min(limitText === undefined ? options.maxLimit : Number(limitText), options.maxLimit);
  items = items.slice(0, limit);
  const last = items.at(-1);
  // Cinder links a next page whenever a page came back full, even when it turns out empty.
  if (items.length < limit || last === undefined) {
    return { items, links: [] };
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key !== 'marker' && key !== 'offset' && value !== undefined) {
      params.append(key, String(Array.isArray(value) ? value[0] : value));
    }
  }
  params.set('limit', String(limit));
  params.set('marker', String(last['id']));
  return { items, links: [{ rel: 'next', href: `${options.url}?${params.toString()}` }] };
}
