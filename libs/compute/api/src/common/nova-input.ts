import { z } from 'zod';

/** Nova's `name` format: printable characters, none of them whitespace at either end. */
const PRINTABLE_NAME = /^(?![\p{C}\p{Z}])[^\p{C}\p{Zl}\p{Zp}]*(?<![\p{C}\p{Z}])$/u;

/** Zod's message for a member that is missing, or of the wrong kind. */
export const required = (kind: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is a required property' : `is not ${kind}`);

/** For `z.strictObject`: members the schema does not name, in jsonschema's words (`additionalProperties: false`). */
export const strict = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `Additional properties are not allowed (${(issue.keys ?? []).map((key) => `'${key}'`).join(', ')} unexpected)` : undefined),
};

/** A name of 1–255 printable characters, as Nova's `parameter_types.name`, with its InvalidName message. */
export const novaName = () =>
  z
    .string({ error: required('a string') })
    .min(1, 'is too short')
    .max(255, 'is longer than 255 characters')
    .regex(PRINTABLE_NAME, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
