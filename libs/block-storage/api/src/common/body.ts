import { badRequest } from '@overcast/shared/core';
import { z } from 'zod';

/**
 * The object under `key` of a request body (`{"volume": {...}}`), validated with Cinder's
 * messages: "Invalid input for field/attribute size. Value: 0. …". Unknown attributes are
 * refused where Cinder's schema forbids them (`strict`).
 */
export function bodyMember<S extends z.ZodObject>(body: unknown, key: string, schema: S, options: { strict?: boolean } = {}): z.infer<S> {
  const inner = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw badRequest(`Invalid input received: Missing required element '${key}' in request body.`);
  }
  if (options.strict) {
    const unknown = Object.keys(inner).filter((name) => !(name in schema.shape));
    if (unknown.length > 0) {
      throw badRequest(`Invalid input for field/attribute ${key}. Value: ${JSON.stringify(inner)}. Additional properties are not allowed (${unknown.map((name) => `'${name}'`).join(', ')} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`);
    }
  }
  const result = schema.safeParse(inner);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? key;
    const value = issue?.path.reduce<unknown>((current, part) => (current as Record<string, unknown> | undefined)?.[String(part)], inner);
    throw badRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value ?? null)}. ${issue?.message ?? 'invalid value'}`);
  }
  return result.data;
}

/** A whole number, also as decimal text (the cinder client sends sizes as strings). */
export const integerText = (minimum: number) =>
  z.union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, 'is not an integer').transform(Number)]).pipe(
    z
      .number()
      .int('is not an integer')
      .min(minimum, `is less than the minimum of ${minimum}`)
      .max(2 ** 31 - 1, 'is too large'),
  );

/** Cinder's boolean strings ("true", "1", "yes"…) and JSON booleans. */
export const booleanText = () =>
  z.union([
    z.boolean(),
    z
      .string()
      .refine((text) => ['true', 'false', '1', '0', 'yes', 'no', 't', 'f', 'on', 'off', 'y', 'n'].includes(text.toLowerCase()), 'is not a boolean')
      .transform((text) => ['true', '1', 'yes', 't', 'on', 'y'].includes(text.toLowerCase())),
  ]);

/** Metadata: string keys of 1–255 characters, string values up to 255. */
export const metadataInput = () =>
  z.record(z.string().min(1, 'key is empty').max(255, 'key is longer than 255 characters'), z.string().max(255, 'value is longer than 255 characters'));

/** Names and descriptions: up to 255 characters, or null. */
export const nameInput = () => z.string().max(255, 'is longer than 255 characters').nullable();
