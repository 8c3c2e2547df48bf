import { serviceUnavailable } from '../errors/openstack-error';

export interface ServiceResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface ServiceRequest {
  /** The token the call acts with (the requester's, or the service's own). */
  token: string;
  /** The calling service's own token, sent as `X-Service-Token` beside a requester's. */
  serviceToken?: string;
  body?: unknown;
  /** More headers, e.g. a microversion. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One OpenStack service's REST API as another service calls it: JSON in and out, a timeout, and
 * an unreachable service as a 503 that says which one.
 */
export class ServiceClient {
  constructor(
    /** Its name in messages: `image`, `network`… */
    readonly service: string,
    private readonly baseUrl: string,
  ) {}

  async request(method: string, path: string, request: ServiceRequest): Promise<ServiceResponse> {
    const headers: Record<string, string> = { ...request.headers, 'X-Auth-Token': request.token, Accept: 'application/json' };
    if (request.serviceToken !== undefined) {
      headers['X-Service-Token'] = request.serviceToken;
    }
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
      });
    } catch {
      throw serviceUnavailable(`The ${this.service} service is unreachable.`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body };
  }
}

/** The message of an OpenStack error body, whichever service's format it is in. */
export function errorMessageOf(body: unknown): string {
  if (typeof body === 'string') {
    return body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  }
  if (body === null || typeof body !== 'object') {
    return '';
  }
  const record = body as Record<string, unknown>;
  if (typeof record['message'] === 'string') {
    return record['message'];
  }
  for (const value of Object.values(record)) {
    if (value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>)['message'] === 'string') {
      return (value as Record<string, string>)['message'] ?? '';
    }
  }
  return '';
}
