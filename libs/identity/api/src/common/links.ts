import { type Request } from 'express';
import { requestBaseUrl } from '@overcast/shared/core';

/** `http://host:5000/v3` as the caller reached us. */
export function v3Url(request: Request): string {
  return `${requestBaseUrl(request)}/v3`;
}

export function withSelf<T extends object>(request: Request, path: string, resource: T): T & { links: { self: string } } {
  return { ...resource, links: { self: `${v3Url(request)}/${path}` } };
}

/** Keystone's collection document: `truncated` only when list_limit or the page size cut the list. */
export function collection<T>(request: Request, key: string, items: T[], cut: { truncated: boolean; next?: string } = { truncated: false }): Record<string, unknown> {
  return {
    [key]: items,
    links: { self: `${requestBaseUrl(request)}${request.originalUrl}`, previous: null, next: cut.next ?? null },
    ...(cut.truncated ? { truncated: true } : {}),
  };
}
