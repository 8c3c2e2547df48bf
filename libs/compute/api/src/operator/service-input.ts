import { parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { required, strict } from '../common/nova-input';

const text255 = z.string({ error: required('a string') }).min(1, 'is too short').max(255, 'is longer than 255 characters');

/** The 2.1 body of `PUT /os-services/{action}`: which service, and why it is disabled. */
const updateSchema = z.strictObject(
  {
    host: text255.regex(/^[a-zA-Z0-9-._]*$/, "does not match '^[a-zA-Z0-9-._]*$'"),
    binary: text255,
    disabled_reason: text255.optional(),
  },
  strict,
);

export type ServiceUpdate = z.infer<typeof updateSchema>;

export function serviceUpdateBody(body: unknown): ServiceUpdate {
  return parseInput(updateSchema, body);
}
