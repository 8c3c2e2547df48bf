import { badRequest } from '@overcast/shared/core';
import { z } from 'zod';
import { booleanText, bodyMember, nameInput } from '../common/body';
import { metaItemBody } from '../common/metadata-body';

/** Extra spec keys a new type may carry (Cinder's `extra_specs`), and those the extra-specs API takes (no spaces or slashes). */
const TYPE_SPEC_KEY = /^[a-zA-Z0-9\-_:. /]{1,255}$/;
const SPEC_KEY = /^[a-zA-Z0-9\-_:.]{1,255}$/;

/** Zod's message for a member that is missing, or of the wrong kind. */
const required = (name: string, kind: string) => (issue: { input: unknown }) => (issue.input === undefined ? `'${name}' is a required property` : `is not ${kind}`);

/** Extra specs: keys matching `keyPattern`, string values up to 255 characters; other keys with jsonschema's words. */
function extraSpecsInput(keyPattern: RegExp) {
  return z.record(z.string(), z.string({ error: required('value', 'a string') }).max(255, 'is longer than 255 characters'), { error: required('extra_specs', 'an object') }).superRefine((specs, context) => {
    const unexpected = Object.keys(specs).filter((key) => !keyPattern.test(key));
    if (unexpected.length > 0) {
      context.addIssue({ code: 'custom', message: `Additional properties are not allowed (${unexpected.map((key) => `'${key}'`).join(', ')} ${unexpected.length === 1 ? 'was' : 'were'} unexpected)` });
    }
  });
}

const createSchema = z.object({
  name: z.string({ error: required('name', 'a string') }).max(255, 'is longer than 255 characters'),
  description: nameInput().optional(),
  extra_specs: extraSpecsInput(TYPE_SPEC_KEY).nullable().optional(),
  'os-volume-type-access:is_public': booleanText().optional(),
});

const updateSchema = z.object({
  name: nameInput().optional(),
  description: nameInput().optional(),
  is_public: booleanText().optional(),
});

const projectSchema = z.object({ project: z.string({ error: required('project', 'a string') }).min(1, 'is too short').max(255, 'is longer than 255 characters') });

export interface TypeCreate {
  name: string;
  description: string | null;
  extraSpecs: Record<string, string>;
  isPublic: boolean;
}

/** `{"volume_type": {...}}` of a create; a blank name is Cinder's InvalidName. */
export function typeCreateBody(body: unknown): TypeCreate {
  const input = bodyMember(body, 'volume_type', createSchema, { strict: true });
  if (input.name.trim() === '') {
    throw badRequest("An invalid 'name' value was provided. The 'name' can not be empty.");
  }
  return { name: input.name, description: input.description ?? null, extraSpecs: input.extra_specs ?? {}, isPublic: input['os-volume-type-access:is_public'] ?? true };
}

/** What an update changes; absent (or null, as Cinder reads it) is no change. */
export interface TypeUpdate {
  name?: string;
  description?: string;
  isPublic?: boolean;
}

/** `{"volume_type": {...}}` of an update: at least one of name, description, is_public. */
export function typeUpdateBody(body: unknown): TypeUpdate {
  const input = bodyMember(body, 'volume_type', updateSchema, { strict: true });
  if (typeof input.name === 'string' && input.name.trim() === '') {
    throw badRequest('Volume type name can not be empty.');
  }
  const update: TypeUpdate = { name: input.name ?? undefined, description: input.description ?? undefined, isPublic: input.is_public };
  if (update.name === undefined && update.description === undefined && update.isPublic === undefined) {
    throw badRequest('Specify volume type name, description, is_public or a combination thereof.');
  }
  return update;
}

/** `{"extra_specs": {...}}` of an extra-specs create. */
export function extraSpecsBody(body: unknown): Record<string, string> {
  return bodyMember({ body }, 'body', z.object({ extra_specs: extraSpecsInput(SPEC_KEY) }), { strict: true }).extra_specs;
}

/** `{"<key>": "<value>"}` of an extra-spec update: exactly the key of the URL. */
export function extraSpecItemBody(body: unknown, key: string): Record<string, string> {
  return bodyMember({ body: { extra_specs: metaItemBody({ meta: body }, key) } }, 'body', z.object({ extra_specs: extraSpecsInput(SPEC_KEY) })).extra_specs;
}

/** The project of an `addProjectAccess` or `removeProjectAccess` action. */
export function accessProject(body: unknown, action: 'addProjectAccess' | 'removeProjectAccess'): string {
  return bodyMember(body, action, projectSchema, { strict: true }).project;
}

const IS_TRUE = '<is> True';

/** Cinder refuses a type that would be both multiattach and cacheable. */
export function refuseCacheableMultiattach(current: Record<string, string>, added: Record<string, string>): void {
  const merged = { ...current, ...added };
  if (('multiattach' in added || 'cacheable' in added) && merged['multiattach'] === IS_TRUE && merged['cacheable'] === IS_TRUE) {
    throw badRequest('cacheable cannot be set with multiattach.');
  }
}
