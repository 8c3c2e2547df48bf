import { parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { type ApiVersion } from '../common/microversion';
import { queryText } from '../common/nova-list';
import { novaName, required, strict } from '../common/nova-input';

/** Letters, digits, `_`, `-` and spaces; 2.92 adds `@` and `.`. */
const keypairName = (pattern: RegExp) => novaName().regex(pattern, `does not match '${pattern.source}'`);

const fields = {
  name: keypairName(/^[_\- a-zA-Z0-9]+$/),
  public_key: z.string({ error: required('a string') }).optional(),
};
const typeField = { type: z.enum(['ssh', 'x509'], { error: "is not one of ['ssh', 'x509']" }).optional() };
const userField = { user_id: z.string({ error: required('a string') }).optional() };

/** Each microversion's `{"keypair": {...}}`: 2.2 adds `type`, 2.10 `user_id`, 2.92 more name characters and requires a public key. */
const createSchemas = {
  v21: z.strictObject({ keypair: z.strictObject(fields, strict) }, strict),
  v22: z.strictObject({ keypair: z.strictObject({ ...fields, ...typeField }, strict) }, strict),
  v210: z.strictObject({ keypair: z.strictObject({ ...fields, ...typeField, ...userField }, strict) }, strict),
  v292: z.strictObject(
    { keypair: z.strictObject({ ...fields, name: keypairName(/^[_\-@. a-zA-Z0-9]+$/), public_key: z.string({ error: required('a string') }), ...typeField, ...userField }, strict) },
    strict,
  ),
};

export interface KeypairCreate {
  name: string;
  type: 'ssh' | 'x509';
  /** Absent: generate one. */
  publicKey?: string;
  /** Whose keypair (an admin's choice, 2.10); absent: the caller's. */
  userId?: string;
}

export function keypairCreateBody(body: unknown, version: ApiVersion): KeypairCreate {
  const schema = version.atLeast('2.92') ? createSchemas.v292 : version.atLeast('2.10') ? createSchemas.v210 : version.atLeast('2.2') ? createSchemas.v22 : createSchemas.v21;
  const { keypair }: { keypair: z.infer<typeof createSchemas.v210>['keypair'] } = parseInput(schema, body);
  return { name: keypair.name.trim(), type: keypair.type ?? 'ssh', publicKey: keypair.public_key, userId: keypair.user_id };
}

/** `?user_id=` (2.10): an admin's look at another user's keypairs. */
export function keypairUserQuery(query: Record<string, unknown>, version: ApiVersion): string | undefined {
  return version.atLeast('2.10') ? queryText(query, 'user_id') : undefined;
}
