import { type z } from 'zod';
import { badRequest } from '../errors/openstack-error';

/**
 * Validates a request body (or query) against a schema. A bad one is a 400 that names the field
 * and what is wrong with it, in the words OpenStack services use.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('/') : 'body';
  throw badRequest(`Invalid input for field '${field}': ${issue?.message ?? 'invalid value'}`);
}
