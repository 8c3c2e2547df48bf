import { Inject, Injectable } from '@nestjs/common';
import { nextPageLink, notFound, parsePageRequest, requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';
import { type FindOptionsOrder, type FindOptionsWhere, MoreThan, type Repository } from 'typeorm';
import { type IdentitySettings } from '../identity.config';
import { IDENTITY_SETTINGS } from '../identity.tokens';
import { collection } from './links';

/** Keystone's `max_db_limit`: no page is longer, whatever the caller asks for. */
const MAX_PAGE_SIZE = 1000;

/**
 * Keystone's lists. `list_limit` cuts a long list and marks it `"truncated": true`. Projects,
 * domains, users and groups are paged as well: `limit` and `marker`, in id order, with `links.next`
 * while more remain.
 */
@Injectable()
export class CollectionService {
  constructor(@Inject(IDENTITY_SETTINGS) private readonly settings: IdentitySettings) {}

  /** Rows to read for a list cut at list_limit: one more than the limit shows whether it was cut. */
  get readLimit(): number | undefined {
    return this.settings.listLimit === undefined ? undefined : this.settings.listLimit + 1;
  }

  /** A list read with `readLimit`, cut to list_limit. */
  cut<T, U>(request: Request, key: string, rows: T[], present: (row: T) => U): Record<string, unknown> {
    const limit = this.settings.listLimit;
    const truncated = limit !== undefined && rows.length > limit;
    return collection(request, key, (truncated ? rows.slice(0, limit) : rows).map(present), { truncated });
  }

  /** The page after `marker`: `limit` rows at most, else list_limit (a limit of 0 is none, as in Keystone). */
  async page<T extends { id: string }, U>(request: Request, key: string, repository: Repository<T>, where: FindOptionsWhere<T>, present: (row: T) => U): Promise<Record<string, unknown>> {
    const query = request.query as Record<string, unknown>;
    const { limit, marker } = parsePageRequest(query, MAX_PAGE_SIZE);
    const size = limit || this.settings.listLimit;
    if (marker !== undefined && !(await repository.existsBy({ id: marker } as FindOptionsWhere<T>))) {
      throw notFound(`Marker ${marker} could not be found.`);
    }
    const rows = await repository.find({
      where: marker === undefined ? where : { ...where, id: MoreThan(marker) },
      order: { id: 'ASC' } as FindOptionsOrder<T>,
      take: size === undefined ? undefined : size + 1,
    });
    if (size === undefined || rows.length <= size) {
      return collection(request, key, rows.map(present));
    }
    const items = rows.slice(0, size);
    return collection(request, key, items.map(present), { truncated: true, next: nextPageLink(`${requestBaseUrl(request)}${request.path}`, query, items, size)[0]?.href });
  }
}
