import { type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction } from 'node:net';
import { redactUri, type ResolvedAddress, UriRefusedError, type WebDownloadFilter } from './web-download-filter';

/** Redirects followed, as Python's urllib (Glance's web-download client) does. */
export const MAX_REDIRECTS = 10;

/** The download failed (the server answered an error, went silent, the connection broke); the message is safe to show. */
export class WebDownloadError extends Error {
  override readonly name = 'WebDownloadError';
}

export interface WebDownloadOptions {
  /** How long to wait for the connection, and then for each piece of the answer. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WebDownload {
  /** The body; read it or destroy it. */
  data: IncomingMessage;
  /** The `Content-Length` the server gave, if any. */
  length?: number;
}

/** A lookup that gives exactly the addresses the filter checked, so the connection goes nowhere else. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const usable = options.family === 4 || options.family === 6 ? addresses.filter((address) => address.family === options.family) : addresses;
    const [first] = usable;
    if (!first) {
      callback(Object.assign(new Error('no address of the requested family'), { code: 'ENOTFOUND' }), '', 4);
    } else if (options.all) {
      callback(null, usable.map(({ address, family }) => ({ address, family })));
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/** One GET to `url`, connecting only to `addresses`; resolves with the answer's head. */
function get(url: URL, addresses: readonly ResolvedAddress[], options: WebDownloadOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const requestOptions: RequestOptions = {
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'User-Agent': 'overcast-image-import', Accept: '*/*' },
      auth: url.username === '' ? undefined : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
      lookup: pinnedLookup(addresses),
      // One connection per download, closed with it.
      agent: false,
      timeout: options.timeoutMs,
      signal: options.signal,
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions, resolve);
    // The socket's idle timeout: for the connection and the answer's head here, for the body while it streams.
    request.on('timeout', () => request.destroy(new WebDownloadError(`${redactUri(url.href)} sent nothing for ${options.timeoutMs / 1000} s`)));
    request.on('error', reject);
    request.end();
  });
}

/**
 * Opens `uri` for a web-download: the filter checks it (scheme, host, port, every address), then
 * each redirect's target the same way before it is followed, as Glance's `SafeRedirectHandler`
 * does; a redirect to a refused URL fails the download. Resolves once a 2xx answer's head is in;
 * the body streams from there, in constant memory.
 */
export async function openWebDownload(filter: WebDownloadFilter, uri: string, options: WebDownloadOptions): Promise<WebDownload> {
  let url = filter.checkUri(uri);
  let addresses = await filter.addressesOf(url);
  for (let redirects = 0; ; redirects += 1) {
    const response = await get(url, addresses, options);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      response.destroy();
      if (redirects >= MAX_REDIRECTS) {
        throw new WebDownloadError(`${redactUri(uri)} redirects more than ${MAX_REDIRECTS} times`);
      }
      let target: URL;
      try {
        target = new URL(location, url);
      } catch {
        throw new WebDownloadError(`${redactUri(url.href)} redirects to something that is not a URL`);
      }
      try {
        url = filter.checkUri(target.href);
        addresses = await filter.addressesOf(url);
      } catch (error) {
        if (error instanceof UriRefusedError) {
          throw new UriRefusedError(`Redirect to disallowed URL: ${redactUri(target.href)} (${error.message})`);
        }
        throw error;
      }
      continue;
    }
    if (status < 200 || status >= 300) {
      response.destroy();
      throw new WebDownloadError(`${redactUri(url.href)} answered HTTP ${status}`);
    }
    const length = response.headers['content-length'];
    return { data: response, length: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined };
  }
}
