import { badRequest } from '@overcast/shared/core';
import { ImageMemberEntity, type ImageEntity } from '@overcast/image/data-access';
import { type SelectQueryBuilder } from 'typeorm';

/** Who is looking: their project, and whether they are the cloud admin (who sees every image). */
export interface Viewer {
  projectId: string | undefined;
  isAdmin: boolean;
}

/**
 * Images a project may see (Glance's rule for `GET /v2/images/{id}`): its own, public and
 * community images, and shared images it is a member of, whatever the membership's status.
 */
export function whereVisible(query: SelectQueryBuilder<ImageEntity>, viewer: Viewer): SelectQueryBuilder<ImageEntity> {
  if (viewer.isAdmin) {
    return query;
  }
  return query.andWhere(
    `(image.owner = :viewer OR image.visibility IN ('public', 'community') OR (image.visibility = 'shared' AND EXISTS (${memberQuery(query)})))`,
    { viewer: viewer.projectId ?? '' },
  );
}

function memberQuery(query: SelectQueryBuilder<ImageEntity>, statuses?: string[]): string {
  const members = query.subQuery().select('1').from(ImageMemberEntity, 'member').where('member.imageId = image.id').andWhere('member.member = :viewer');
  return (statuses ? members.andWhere('member.status IN (:...memberStatuses)', { memberStatuses: statuses }) : members).getQuery().slice(1, -1);
}

const VISIBILITY_FILTERS = ['public', 'private', 'shared', 'community', 'all'] as const;
const MEMBER_STATUSES = ['accepted', 'pending', 'rejected', 'all'] as const;

/**
 * The list's visibility as Glance applies it: by default a project sees its own images, public
 * ones and those shared with it that it accepted (`member_status`), but not community images;
 * `visibility=` narrows to one kind, or widens to `all`.
 */
export function whereListed(query: SelectQueryBuilder<ImageEntity>, viewer: Viewer, visibility: string | undefined, memberStatus: string | undefined): SelectQueryBuilder<ImageEntity> {
  if (visibility !== undefined && !(VISIBILITY_FILTERS as readonly string[]).includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility}`);
  }
  if (memberStatus !== undefined && !(MEMBER_STATUSES as readonly string[]).includes(memberStatus)) {
    throw badRequest(`Invalid status: ${memberStatus}`);
  }
  if (visibility !== undefined && visibility !== 'all') {
    query.andWhere('image.visibility = :visibility', { visibility });
  }
  if (viewer.isAdmin) {
    return query;
  }
  const statuses = memberStatus === undefined ? ['accepted'] : memberStatus === 'all' ? undefined : [memberStatus];
  const shared = `(image.visibility = 'shared' AND EXISTS (${memberQuery(query, statuses)}))`;
  const community = visibility === 'community' || visibility === 'all' ? " OR image.visibility = 'community'" : '';
  return query.andWhere(`(image.owner = :viewer OR image.visibility = 'public' OR ${shared}${community})`, { viewer: viewer.projectId ?? '' });
}

/** Columns a list may be sorted by (Glance's `sort_key` choices), with the value standing in for NULL. */
export const SORT_COLUMNS: Record<string, { column: string; nullAs: string }> = {
  name: { column: 'image.name', nullAs: "''" },
  status: { column: 'image.status', nullAs: "''" },
  container_format: { column: 'image.container_format', nullAs: "''" },
  disk_format: { column: 'image.disk_format', nullAs: "''" },
  size: { column: 'image.size', nullAs: '-1' },
  id: { column: 'image.id', nullAs: "'00000000-0000-0000-0000-000000000000'" },
  created_at: { column: 'image.created_at', nullAs: "'epoch'" },
  updated_at: { column: 'image.updated_at', nullAs: "'epoch'" },
};

export interface SortKey {
  key: string;
  direction: 'asc' | 'desc';
}

/** `sort_key`/`sort_dir` (repeatable) or `sort=name:asc,size`; Glance's default is newest first. */
export function parseSort(query: Record<string, unknown>): SortKey[] {
  const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);
  const checkKey = (key: string) => {
    if (!(key in SORT_COLUMNS)) {
      throw badRequest(`Invalid sort key: ${key}. It must be one of the following: ${Object.keys(SORT_COLUMNS).join(', ')}.`);
    }
    return key;
  };
  const checkDirection = (direction: string): 'asc' | 'desc' => {
    if (direction !== 'asc' && direction !== 'desc') {
      throw badRequest(`Invalid sort direction: ${direction}`);
    }
    return direction;
  };
  if (query['sort'] !== undefined) {
    if (query['sort_key'] !== undefined || query['sort_dir'] !== undefined) {
      throw badRequest('Old and new sorting syntax cannot be combined');
    }
    return list(query['sort'])
      .flatMap((value) => value.split(','))
      .map((item) => {
        const [key = '', direction = 'desc'] = item.trim().split(':');
        return { key: checkKey(key), direction: checkDirection(direction) };
      });
  }
  const keys = list(query['sort_key']);
  const directions = list(query['sort_dir']);
  if (directions.length > 1 && directions.length !== keys.length) {
    throw badRequest('Number of sort dirs does not match the number of sort keys');
  }
  const sortKeys = (keys.length > 0 ? keys : ['created_at']).map((key, index) => ({ key: checkKey(key), direction: checkDirection(directions[index] ?? directions[0] ?? 'desc') }));
  return sortKeys;
}

/**
 * Orders by the sort keys, then id for a stable order, and starts after the marker image: the
 * rows that come after it in that order (oslo.db's paginate_query, as Glance pages).
 */
export function orderAndPage(query: SelectQueryBuilder<ImageEntity>, sort: SortKey[], marker: ImageEntity | undefined): SelectQueryBuilder<ImageEntity> {
  // Glance breaks ties by created_at, then id, in the first key's direction.
  const direction = sort[0]?.direction ?? 'desc';
  const keys = [...sort, ...(['created_at', 'id'] as const).filter((key) => !sort.some((sortKey) => sortKey.key === key)).map((key): SortKey => ({ key, direction }))];
  const expression = (key: string) => {
    const { column, nullAs } = SORT_COLUMNS[key] as { column: string; nullAs: string };
    return `COALESCE(${column}, ${nullAs})`;
  };
  keys.forEach((sortKey, index) => {
    query[index === 0 ? 'orderBy' : 'addOrderBy'](expression(sortKey.key), sortKey.direction === 'asc' ? 'ASC' : 'DESC');
  });
  if (marker) {
    const conditions = keys.map((sortKey, index) => {
      const equalities = keys.slice(0, index).map((earlier) => `${expression(earlier.key)} = COALESCE(:marker_${earlier.key}, ${(SORT_COLUMNS[earlier.key] as { nullAs: string }).nullAs})`);
      const comparison = `${expression(sortKey.key)} ${sortKey.direction === 'asc' ? '>' : '<'} COALESCE(:marker_${sortKey.key}, ${(SORT_COLUMNS[sortKey.key] as { nullAs: string }).nullAs})`;
      return `(${[...equalities, comparison].join(' AND ')})`;
    });
    query.andWhere(`(${conditions.join(' OR ')})`, Object.fromEntries(keys.map((sortKey) => [`marker_${sortKey.key}`, markerValue(marker, sortKey.key)])));
  }
  return query;
}

function markerValue(marker: ImageEntity, key: string): unknown {
  const values: Record<string, unknown> = {
    name: marker.name,
    status: marker.status,
    container_format: marker.containerFormat,
    disk_format: marker.diskFormat,
    size: marker.size,
    id: marker.id,
    created_at: marker.createdAt,
    updated_at: marker.updatedAt,
  };
  return values[key];
}

const TIME_OPERATORS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' };

/** `created_at=gt:2024-01-01T00:00:00Z` and its kin (Glance's changes-since successor). */
export function whereTime(query: SelectQueryBuilder<ImageEntity>, field: 'created_at' | 'updated_at', value: string): void {
  const match = /^(gt|gte|lt|lte|eq|neq):(.+)$/.exec(value);
  const when = match ? Date.parse(match[2] as string) : Number.NaN;
  if (!match || Number.isNaN(when)) {
    throw badRequest(`Unable to filter on a ${field} value: ${value} (expected an operator gt, gte, lt, lte, eq or neq, a colon and an ISO 8601 time).`);
  }
  query.andWhere(`image.${field} ${TIME_OPERATORS[match[1] as string]} :${field}`, { [field]: new Date(when) });
}
