import { badRequest, OpenStackError } from '@overcast/shared/core';
import { z } from 'zod';

/**
 * The resource inside a request body (`{"network": {...}}`), validated against its schema with
 * Neutron's messages: an attribute the resource does not have is "Unrecognized attribute(s)", a bad
 * value "Invalid input for <attribute>. Reason: …".
 */
export function resourceBody<S extends z.ZodObject>(body: unknown, resource: string, schema: S): z.infer<S> {
  const inner = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[resource] : undefined;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw badRequest(`Unable to find '${resource}' in request body`);
  }
  const unknown = Object.keys(inner).filter((key) => !(key in schema.shape));
  if (unknown.length > 0) {
    throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  }
  const result = schema.safeParse(inner);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidInput(String(issue?.path[0] ?? resource), issue?.message ?? 'invalid value');
  }
  return result.data;
}

export function invalidInput(attribute: string, reason: string): OpenStackError {
  return badRequest(`Invalid input for ${attribute}. Reason: ${reason}.`);
}

/** "Invalid input for operation: …" (Neutron's InvalidInput), for rules that span attributes. */
export function invalidOperation(reason: string): OpenStackError {
  return badRequest(`Invalid input for operation: ${reason}.`, 'InvalidInput');
}

/** An integer attribute, also as the decimal text some clients send (the CLI sends segment ids so). */
export const integerInput = () => z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'expected an integer').transform(Number)]);
