import { type Request } from 'express';

/** The URL the caller used to reach us, so version and pagination links work behind any name. */
export function requestBaseUrl(request: Request): string {
  return `${request.protocol}://${request.get('host') ?? 'localhost'}`;
}

export interface VersionLink {
  rel: string;
  href: string;
  type?: string;
}

export interface MediaType {
  base: string;
  type: string;
}
