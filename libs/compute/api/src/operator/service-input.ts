import { parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { type ApiVersion } from '../common/microversion';
import { required, strict } from '../common/nova-input';
import { booleanWord } from '../flavors/flavor-input';

const text255 = z.string({ error: required('a string') }).min(1, 'is too short').max(255, 'is longer than 255 characters');

const updateFields = {
  host: text255.regex(/^[a-zA-Z0-9-._]*$/, "does not match '^[a-zA-Z0-9-._]*$'"),
  binary: text255,
  disabled_reason: text255.optional(),
};

/** The body of `PUT /os-services/{action}`: which service, why it is disabled, and from 2.11 whether it is forced down. */
const updateSchemas = {
  v21: z.strictObject(updateFields, strict),
  v211: z.strictObject({ ...updateFields, forced_down: booleanWord.optional() }, strict),
};

export type ServiceUpdate = z.infer<typeof updateSchemas.v211>;

export function serviceUpdateBody(body: unknown, version: ApiVersion): ServiceUpdate {
  return parseInput(version.atLeast('2.11') ? updateSchemas.v211 : updateSchemas.v21, body);
}
