import { type Request } from 'express';
import { requestBaseUrl } from '@overcast/shared/core';

/** `http://host:5000/v3` as the caller reached us. */
export function v3Url(request: Request): string {
  return `${requestBaseUrl(request)}/v3`;
}

export function withSelf<T extends object>(request: Request, path: string, resource: T): T & { links: { self: string } } {
  return { ...resource, links: { self: `${v3Url(request)}/${path}` } };
}

/** Keystone's collection document. */
export function collection<T>(request: Request, key: string, items: T[]): Record<string, unknown> {
  return { [key]: items, links: { self: `${requestBaseUrl(request)}${request.originalUrl}`, previous: null, next: null } };
}
