import { randomBytes, randomUUID } from 'node:crypto';

/** Keystone's ids: a uuid4 without dashes. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Keystone's audit ids: 16 random bytes, URL-safe base64 without padding. */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}
