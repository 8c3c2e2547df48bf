import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContextData {
  requestId: string;
}

/** Carries the request id through async calls so every log line and bus message can name it. */
export const requestContext = new AsyncLocalStorage<RequestContextData>();

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}
