import { badRequest, notFound } from '@overcast/shared/core';
import { z } from 'zod';
import { bodyMember, metadataInput } from './body';

/** `{"metadata": {...}}` of a metadata create or replace. */
export function metadataBody(body: unknown): Record<string, string> {
  return bodyMember({ body }, 'body', z.object({ metadata: metadataInput() })).metadata;
}

/** `{"meta": {"<key>": "<value>"}}` of a one-key update: exactly the key of the URL. */
export function metaItemBody(body: unknown, key: string): Record<string, string> {
  const meta = (body as { meta?: unknown } | null)?.meta;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw badRequest("Invalid input received: Missing required element 'meta' in request body.");
  }
  const entries = Object.entries(meta as Record<string, unknown>);
  if (entries.length > 1) {
    throw badRequest('Request body contains too many items.');
  }
  if (entries[0]?.[0] !== key) {
    throw badRequest('Request body and URI mismatch');
  }
  const parsed = metadataInput().safeParse(meta);
  if (!parsed.success) {
    throw badRequest(`Invalid input for field/attribute meta. Value: ${JSON.stringify(meta)}. ${parsed.error.issues[0]?.message ?? ''}`);
  }
  return parsed.data;
}

/** `metadata` without `key`; Cinder's 404 when it has no such key. */
export function withoutKey(metadata: Record<string, string>, key: string): Record<string, string> {
  if (!(key in metadata)) {
    throw notFound('Metadata item was not found');
  }
  return Object.fromEntries(Object.entries(metadata).filter(([name]) => name !== key));
}
