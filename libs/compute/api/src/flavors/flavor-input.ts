import { type FlavorEntity } from '@overcast/compute/data-access';
import { badRequest, parseInput } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type ApiVersion } from '../common/microversion';
import { queryText } from '../common/nova-list';
import { novaName, required, strict } from '../common/nova-input';

/** Descriptions may hold any printable character, spaces included, but no control characters or line breaks. */
const PRINTABLE_TEXT = /^[^\p{C}\p{Zl}\p{Zp}]*$/u;
const MAX_INT = 0x7fffffff;
const BOOLEAN_WORDS = new Map<string, boolean>([
  ...['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'].map((word) => [word, true] as const),
  ...['False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'].map((word) => [word, false] as const),
]);


/** A flavor size: a whole number (or its decimal digits) from `minimum` to the database's MAX_INT. */
const flavorInteger = (minimum: number) =>
  z
    .union([z.int(), z.string().regex(/^[0-9]+$/, 'is not a whole number').transform(Number)], { error: required('an integer') })
    .pipe(z.number().min(minimum, `is less than the minimum of ${minimum}`).max(MAX_INT, `is greater than the maximum of ${MAX_INT}`));

/** Nova's `parameter_types.boolean` (`os-flavor-access:is_public`, a service's `forced_down`): a JSON boolean or one of oslo's boolean words. */
export const booleanWord = z.union([z.boolean(), z.string().refine((word) => BOOLEAN_WORDS.has(word)).transform((word) => BOOLEAN_WORDS.get(word) === true)], { error: 'is not a boolean' });

const description = z.string({ error: required('a string or null') }).max(65535, 'is longer than 65535 characters').regex(PRINTABLE_TEXT, 'has characters that are not printable').nullable();

const createFields = {
  name: novaName(),
  id: z
    .union([z.string().min(1, 'is too short').max(255, 'is longer than 255 characters').regex(/^(?! )[a-zA-Z0-9. _-]+(?<! )$/, "does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'"), z.number().transform(String), z.null()], { error: 'is not a string, number or null' })
    .optional(),
  ram: flavorInteger(1),
  vcpus: flavorInteger(1),
  disk: flavorInteger(0),
  'OS-FLV-EXT-DATA:ephemeral': flavorInteger(0).optional(),
  // "" is no swap, as the 2.1 view shows it.
  swap: z.union([z.literal('').transform(() => 0), flavorInteger(0)]).optional(),
  rxtx_factor: z
    .union([z.number(), z.string().regex(/^[0-9]+(\.[0-9]+)?$/, 'is not a number').transform(Number)], { error: required('a number') })
    .pipe(z.number().gt(0, 'is less than or equal to the minimum of 0').max(3.40282e38, 'is greater than the maximum of 3.40282e+38'))
    .optional(),
  'os-flavor-access:is_public': booleanWord.optional(),
};
const createSchema = z.strictObject({ flavor: z.strictObject(createFields, strict) }, strict);
const createSchemaV255 = z.strictObject({ flavor: z.strictObject({ ...createFields, description: description.optional() }, strict) }, strict);
const updateSchema = z.strictObject({ flavor: z.strictObject({ description }, strict) }, strict);

/** What a create sets: the entity's own fields. */
export type FlavorCreate = Pick<FlavorEntity, 'id' | 'name' | 'vcpus' | 'memoryMb' | 'rootGb' | 'ephemeralGb' | 'swapMb' | 'rxtxFactor' | 'isPublic' | 'description'>;

/** `{"flavor": {...}}` of a create; from 2.55 it may carry a description. No id (or "auto", as the clients mean it) is a new UUID. */
export function flavorCreateBody(body: unknown, version: ApiVersion): FlavorCreate {
  const flavor: z.infer<typeof createSchemaV255>['flavor'] = version.atLeast('2.55') ? parseInput(createSchemaV255, body).flavor : parseInput(createSchema, body).flavor;
  return {
    id: flavor.id === undefined || flavor.id === null || flavor.id === 'auto' ? randomUUID() : flavor.id,
    name: flavor.name.trim(),
    vcpus: flavor.vcpus,
    memoryMb: flavor.ram,
    rootGb: flavor.disk,
    ephemeralGb: flavor['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
    swapMb: flavor.swap ?? 0,
    rxtxFactor: flavor.rxtx_factor ?? 1,
    isPublic: flavor['os-flavor-access:is_public'] ?? true,
    description: flavor.description ?? null,
  };
}

/** `{"flavor": {"description": …}}`: the only thing an update (2.55) changes. */
export function flavorUpdateBody(body: unknown): string | null {
  return parseInput(updateSchema, body).flavor.description;
}

/** Extra spec keys and values as Nova's schema takes them; numbers are stored as their text. */
const SPEC_KEY = /^[a-zA-Z0-9\-_:. ]{1,255}$/;
const specValue = z.union([z.string().max(255, 'is longer than 255 characters'), z.number().transform(String).pipe(z.string().max(255, 'is longer than 255 characters'))], { error: required('a string or number') });
const extraSpecs = z.record(z.string(), specValue, { error: required('an object') }).superRefine((specs, context) => {
  const unexpected = Object.keys(specs).filter((key) => !SPEC_KEY.test(key));
  if (unexpected.length > 0) {
    context.addIssue({ code: 'custom', message: `Additional properties are not allowed (${unexpected.map((key) => `'${key}'`).join(', ')} unexpected)` });
  }
});

/** `{"extra_specs": {...}}` of an extra-specs create. */
export function extraSpecsBody(body: unknown): Record<string, string> {
  return parseInput(z.strictObject({ extra_specs: extraSpecs }, strict), body).extra_specs;
}

/** `{"<key>": <value>}` of an extra-spec update: exactly one spec, the one the URL names. */
export function extraSpecItemBody(body: unknown, key: string): Record<string, string> {
  const specs = parseInput(extraSpecs, body);
  if (Object.keys(specs).length !== 1) {
    throw badRequest(`Invalid input for field 'body': one extra spec is expected, not ${Object.keys(specs).length}.`);
  }
  if (!(key in specs)) {
    throw badRequest('Request body and URI mismatch');
  }
  return specs;
}

export type AccessAction = 'addTenantAccess' | 'removeTenantAccess';
const ACCESS_ACTIONS: readonly AccessAction[] = ['addTenantAccess', 'removeTenantAccess'];

/** The action a flavor's `action` body asks for, with its tenant. */
export function accessActionBody(body: unknown): { action: AccessAction; tenant: string } {
  const names = typeof body === 'object' && body !== null ? Object.keys(body) : [];
  const action = ACCESS_ACTIONS.find((candidate) => names.includes(candidate));
  if (action === undefined) {
    throw badRequest('There is no such action: ' + (names.join(', ') || 'none'));
  }
  const tenant = z.strictObject({ tenant: z.string({ error: required('a string') }).min(1, 'is too short').max(255, 'is longer than 255 characters') }, strict);
  const input = parseInput(z.strictObject({ [action]: tenant }, strict), body) as Record<AccessAction, { tenant: string }>;
  return { action, tenant: input[action].tenant };
}

/** Nova's flavor sort keys (the schema's enum), as entity properties; `id` is Nova's internal id, the order of creation. */
const SORT_PROPERTIES: Record<string, string | undefined> = {
  created_at: 'createdAt',
  description: 'description',
  disabled: 'disabled',
  ephemeral_gb: 'ephemeralGb',
  flavorid: 'id',
  id: 'createdAt',
  is_public: 'isPublic',
  memory_mb: 'memoryMb',
  name: 'name',
  root_gb: 'rootGb',
  rxtx_factor: 'rxtxFactor',
  swap: 'swapMb',
  updated_at: 'updatedAt',
  // Not kept here: every flavor's is null, so the order is the tie-breaker's.
  vcpu_weight: undefined,
  vcpus: 'vcpus',
};

export interface FlavorListQuery {
  /** true: public ones and those shared with the caller's project; false: private ones; undefined: all. */
  isPublic: boolean | undefined;
  minRam?: number;
  minDisk?: number;
  sortProperty: string | undefined;
  descending: boolean;
}

/** Python's int() of a filter's text, or Nova's "Invalid <name> filter [x]". */
function integerFilter(query: Record<string, unknown>, name: string): number | undefined {
  const text = queryText(query, name);
  if (text === undefined) {
    return undefined;
  }
  if (!/^\s*[+-]?\d+\s*$/.test(text)) {
    throw badRequest(`Invalid ${name} filter [${text}]`);
  }
  return Number(text);
}

/** A query parameter that must be one of `allowed`, with Nova's query-schema message. */
function oneOf(query: Record<string, unknown>, name: string, allowed: readonly string[]): string | undefined {
  const text = queryText(query, name);
  if (text !== undefined && !allowed.includes(text)) {
    throw badRequest(`Invalid input for query parameters ${name}. Value: ${text}. '${text}' is not one of [${allowed.map((value) => `'${value}'`).join(', ')}]`);
  }
  return text;
}

/**
 * The filters and order of `GET /flavors`: `is_public` is an admin's choice (absent: true,
 * `none`: all, else a strict boolean); others see public flavors and theirs.
 */
export function flavorListQuery(query: Record<string, unknown>, isAdmin: boolean): FlavorListQuery {
  const sortKey = oneOf(query, 'sort_key', Object.keys(SORT_PROPERTIES)) ?? 'flavorid';
  const sortDir = oneOf(query, 'sort_dir', ['asc', 'desc']) ?? 'asc';
  return { isPublic: isAdmin ? publicFilter(queryText(query, 'is_public')) : true, minRam: integerFilter(query, 'minRam'), minDisk: integerFilter(query, 'minDisk'), sortProperty: SORT_PROPERTIES[sortKey], descending: sortDir === 'desc' };
}

function publicFilter(text: string | undefined): boolean | undefined {
  if (text === undefined) {
    return true;
  }
  if (text.toLowerCase() === 'none') {
    return undefined;
  }
  const value = ['1', 't', 'true', 'on', 'y', 'yes'].includes(text.toLowerCase()) ? true : ['0', 'f', 'false', 'off', 'n', 'no'].includes(text.toLowerCase()) ? false : undefined;
  if (value === undefined) {
    throw badRequest(`Invalid is_public filter [${text}]`);
  }
  return value;
}
