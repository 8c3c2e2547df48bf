/**
 * A parsed JSON body. Loosely typed on purpose: tests reach into bodies freely and their
 * assertions check the shape.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when there is none (204, HEAD). */
  body: Json;
}

export interface RequestOptions {
  /** Sent as `X-Auth-Token`; overrides the client's own token. */
  token?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, with a JSON content type: for malformed bodies. */
  rawBody?: string;
}

export class ServerError extends Error {
  override readonly name = 'ServerError';
}

export interface ApiClient {
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  get(path: string, options?: RequestOptions): Promise<ApiResponse>;
  head(path: string, options?: RequestOptions): Promise<ApiResponse>;
  delete(path: string, options?: RequestOptions): Promise<ApiResponse>;
  post(path: string, body: unknown, options?: RequestOptions): Promise<ApiResponse>;
  put(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
  patch(path: string, body: unknown, options?: RequestOptions): Promise<ApiResponse>;
  /** The same client acting with another token. */
  as(token: string | undefined): ApiClient;
}

/**
 * An HTTP client for an OpenStack API under test. Any 5xx answer throws, so a server error fails
 * the test at the request that caused it: a 500 is always a bug.
 */
export function apiClient(baseUrl: string, token?: string): ApiClient {
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    const authToken = options.token ?? token;
    if (authToken !== undefined) {
      headers['X-Auth-Token'] = authToken;
    }
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
    }
    if (body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
    }
    const response = await fetch(new URL(path, baseUrl), { method, headers, body });
    const text = await response.text();
    // A server error fails the test where it happens; 501 is an answer (a feature the cloud does not offer).
    if (response.status >= 500 && response.status !== 501) {
      throw new ServerError(`${method} ${path} answered ${response.status}: ${text}`);
    }
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as Json) };
  };
  return {
    request,
    get: (path, options) => request('GET', path, options),
    head: (path, options) => request('HEAD', path, options),
    delete: (path, options) => request('DELETE', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
    put: (path, body, options) => request('PUT', path, { ...options, body }),
    patch: (path, body, options) => request('PATCH', path, { ...options, body }),
    as: (other) => apiClient(baseUrl, other),
  };
}
