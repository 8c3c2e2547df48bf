import { badRequest } from '@overcast/shared/core';
import { type SelectQueryBuilder } from 'typeorm';

/** `limit` and `marker` as Nova reads them (`common.get_limit_and_marker`): no limit, 0 or too large is the service's maximum. */
export interface NovaPage {
  limit: number;
  marker?: string;
}

/** The first value of a query parameter given once or repeated. */
export function queryText(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}

/** ISO 8601 as Nova's `date-time` query format takes it (`iso8601.parse_date`): a date, or a date and time, with or without a zone. */
const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A `date-time` query parameter (`changes-since`); anything else is the query-schema 400. A time without a zone is UTC, as in Nova. */
export function queryTime(query: Record<string, unknown>, name: string): Date | undefined {
  const text = queryText(query, name);
  if (text === undefined) {
    return undefined;
  }
  const match = ISO_8601.exec(text);
  const zone = match?.[3] === undefined ? 'Z' : match[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = match === null ? Number.NaN : Date.parse(`${match[1]}T${match[2] ?? '00:00'}${zone}`);
  if (Number.isNaN(time)) {
    throw badRequest(`Invalid input for query parameters ${name}. Value: ${text}. '${text}' is not a 'date-time'`);
  }
  return new Date(time);
}

/** The page a list's query asks for; a limit that is not a whole number ≥ 0 is Nova's query-schema 400. */
export function novaPage(query: Record<string, unknown>, maxLimit: number): NovaPage {
  const limitText = queryText(query, 'limit');
  if (limitText !== undefined && !/^[0-9]+$/.test(limitText)) {
    throw badRequest(`Invalid input for query parameters limit. Value: ${limitText}. '${limitText}' does not match '^[0-9]*$'`);
  }
  const limit = limitText === undefined || Number(limitText) === 0 ? maxLimit : Math.min(Number(limitText), maxLimit);
  const marker = queryText(query, 'marker');
  return marker === undefined ? { limit } : { limit, marker };
}

/** One key of a list's order: a property of the query's main entity. */
export interface OrderKey {
  property: string;
  descending: boolean;
}

/**
 * Orders `builder` by `order` (the last key must be unique, so that the order is total), keeps
 * the rows after the marker row (the row of the main entity matching `marker`, compared in SQL so
 * timestamps keep their precision) and at most `limit` of them (all without one): keyset pagination, as oslo.db's
 * `paginate_query`. Nulls sort first, as on Nova's MySQL.
 */
export function pageQuery<T extends object>(builder: SelectQueryBuilder<T>, order: readonly OrderKey[], marker: Record<string, unknown> | undefined, limit: number | undefined): SelectQueryBuilder<T> {
  const column = (property: string) => `${builder.alias}.${property}`;
  for (const { property, descending } of order) {
    builder.addOrderBy(column(property), descending ? 'DESC' : 'ASC', descending ? 'NULLS LAST' : 'NULLS FIRST');
  }
  if (marker !== undefined) {
    const markerValue = (property: string) => {
      const select = builder.subQuery().select(`marker.${property}`).from(builder.expressionMap.mainAlias?.target ?? builder.alias, 'marker');
      Object.entries(marker).forEach(([name, value], index) => select.andWhere(`marker.${name} = :marker_${index}`, { [`marker_${index}`]: value }));
      builder.setParameters(select.getParameters());
      return select.getQuery();
    };
    // Rows equal to the marker on the keys before key i and after it on key i, for some i.
    const alternatives = order.map(({ property, descending }, index) => {
      const tied = order.slice(0, index).map((earlier) => `${column(earlier.property)} IS NOT DISTINCT FROM ${markerValue(earlier.property)}`);
      const value = markerValue(property);
      const after = descending ? `(${column(property)} < ${value} OR (${column(property)} IS NULL AND ${value} IS NOT NULL))` : `(${column(property)} > ${value} OR (${column(property)} IS NOT NULL AND ${value} IS NULL))`;
      return [...tied, after].join(' AND ');
    });
    builder.andWhere(`(${alternatives.map((alternative) => `(${alternative})`).join(' OR ')})`);
  }
  return builder.take(limit);
}

export interface PageLink {
  rel: 'next';
  href: string;
}

/**
 * Nova's `<collection>_links` (`ViewBuilder._get_collection_links`): a next link when the page is
 * full, to `collectionUrl` with the request's query (sorted, one value each) and the marker set
 * to the page's last item.
 */
export function nextLinks(collectionUrl: string, query: Record<string, unknown>, page: NovaPage, itemIds: readonly string[]): PageLink[] {
  const last = itemIds.at(-1);
  if (last === undefined || itemIds.length !== page.limit) {
    return [];
  }
  const params = new URLSearchParams();
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (value !== undefined) {
      params.set(name, name === 'marker' ? last : String(Array.isArray(value) ? value.at(-1) : value));
    }
  }
  if (!params.has('marker')) {
    params.set('marker', last);
  }
  return [{ rel: 'next', href: `${collectionUrl}?${params.toString()}` }];
}
