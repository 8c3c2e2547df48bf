import { type Json } from './api-client';

/** The claims of a JWT, read without verifying it: for tests that inspect or tamper with tokens. */
export function jwtClaims(token: string): Json {
  const payload = token.split('.')[1];
  if (payload === undefined) {
    throw new Error('not a JWT');
  }
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
}

/** The key id a JWT names in its header. */
export function jwtKeyId(token: string): string | undefined {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: string };
  return header.kid;
}

/** The same token with other claims but its original signature, which no longer matches. */
export function withForgedClaims(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const forged = { ...(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as object), ...claims };
  return `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
}
