import { type ApiResponse, type Json } from '@overcast/shared/testing';

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' };

/** Keystone's error: exactly this status, and `{"error": {"code", "title", "message"}}` in the body. */
export function expectKeystoneError(response: ApiResponse, status: number, message?: string | RegExp): Json {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code: status, title: TITLES[status], message: message === undefined ? expect.any(String) : typeof message === 'string' ? message : expect.stringMatching(message) } },
  });
  return response.body;
}
