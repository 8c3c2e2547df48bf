import { parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { required, strict } from '../common/nova-input';
import { QUOTA_RESOURCES, type QuotaLimits } from './quotas.service';

const MAX_INT = 0x7fffffff;

/** oslo's boolean words, as Nova's `parameter_types.boolean` takes them. */
const TRUE_WORDS = ['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'];
const FALSE_WORDS = ['False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'];
const novaBoolean = z.union([z.boolean(), z.enum([...TRUE_WORDS, ...FALSE_WORDS]).transform((word) => TRUE_WORDS.includes(word))], { error: 'is not a boolean' });

/** A limit: a whole number (or its digits) from -1 (unlimited) to the database's MAX_INT. */
const quotaLimit = z
  .union([z.int(), z.string().regex(/^-?[0-9]+$/, "does not match '^-?[0-9]+$'").transform(Number)], { error: required('an integer') })
  .pipe(z.number().min(-1, 'is less than the minimum of -1').max(MAX_INT, `is greater than the maximum of ${MAX_INT}`));

const updateSchema = z.strictObject(
  {
    quota_set: z.strictObject({ ...Object.fromEntries(QUOTA_RESOURCES.map((resource) => [resource, quotaLimit.optional()])), force: novaBoolean.optional() }, strict),
  },
  strict,
);

export interface QuotaSetUpdate {
  limits: Partial<QuotaLimits>;
  /** Set the limits even below what the project already uses. */
  force: boolean;
}

/** `{"quota_set": {...}}` of `PUT /os-quota-sets/{project_id}`: the 2.1 resources, and `force`. */
export function quotaSetUpdateBody(body: unknown): QuotaSetUpdate {
  const { force, ...limits } = parseInput(updateSchema, body).quota_set as Partial<QuotaLimits> & { force?: boolean };
  return { limits, force: force ?? false };
}
