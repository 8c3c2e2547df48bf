import { type Request } from 'express';

/** The URL the caller used to reach us, so version and pagination links work behind any name. */
export function requestBaseUrl(request: Request): string {
  return `${request.protocol}://${request.get('host') ?? 'localhost'}`;
}

export interface VersionEntryOptions {
  /** e.g. `v2.1`, `v3.14`. */
  id: string;
  status: 'CURRENT' | 'SUPPORTED' | 'DEPRECATED' | 'stable';
  /** Where the version lives under the service root, e.g. `/v2.1/`. */
  path: string;
  updated?: string;
  /** Microversion range (Nova, Cinder): the newest and the oldest a client may ask for. */
  version?: string;
  minVersion?: string;
  /** `application/vnd.openstack.<service>+json;version=…`, announced next to `application/json`. */
  mediaType?: string;
  /** Nova and Cinder link their API reference. */
  describedBy?: boolean;
}

/**
 * One entry of a version-discovery document, with the fields in the order the OpenStack service
 * writes them; each service lists only the fields its peer has.
 */
export function versionEntry(request: Request, options: VersionEntryOptions): Record<string, unknown> {
  const links: { rel: string; href: string; type?: string }[] = [{ rel: 'self', href: `${requestBaseUrl(request)}${options.path}` }];
  if (options.describedBy) {
    links.push({ rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' });
  }
  return {
    id: options.id,
    status: options.status,
    ...(options.version === undefined ? {} : { version: options.version, min_version: options.minVersion ?? options.version }),
    ...(options.updated === undefined ? {} : { updated: options.updated }),
    links,
    ...(options.mediaType === undefined ? {} : { 'media-types': [{ base: 'application/json', type: options.mediaType }] }),
  };
}
