import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** Environment variables; `OVERCAST_<SECTION>_<PATH>` overrides the file. */
  env: Record<string, string | undefined>;
  /** Parsed config file (YAML or JSON) whose top-level keys are sections. */
  file?: Record<string, unknown>;
}

/** `tokenExpiration` → `TOKEN_EXPIRATION`. */
function toEnvSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();
}

export function envName(section: string, path: readonly PropertyKey[]): string {
  const parts = [section, ...path.map(String)].filter((part) => part !== '');
  return ['OVERCAST', ...parts.map(toEnvSegment)].join('_');
}

function isObjectSchema(schema: z.ZodType): schema is z.ZodObject {
  return schema.def.type === 'object';
}

function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema.def as { type: string; innerType?: z.ZodType };
  return (def.type === 'default' || def.type === 'optional') && def.innerType ? unwrap(def.innerType) : schema;
}

const PLAIN_DECIMAL = /^[-+]?\d+(\.\d+)?$/;

/** Text (from the environment, or quoted in the file) becomes a number only when it is a plain decimal. */
function fromText(schema: z.ZodType, value: unknown): unknown {
  if (typeof value === 'string' && unwrap(schema).def.type === 'number' && PLAIN_DECIMAL.test(value.trim())) {
    return Number(value.trim());
  }
  return value;
}

/** Overlay the environment onto the file section, following the schema's shape. */
function overlayEnv(schema: z.ZodType, section: string, path: string[], base: unknown, env: ConfigSources['env']): unknown {
  const inner = unwrap(schema);
  if (isObjectSchema(inner)) {
    // A section given as something else than a mapping (`identity: 5`) is kept, for validation to refuse.
    if (base !== undefined && base !== null && (typeof base !== 'object' || Array.isArray(base))) {
      return base;
    }
    const result: Record<string, unknown> = { ...((base ?? {}) as Record<string, unknown>) };
    for (const [key, child] of Object.entries(inner.shape)) {
      const value = overlayEnv(child as z.ZodType, section, [...path, key], result[key], env);
      if (value !== undefined) {
        result[key] = value;
      }
    }
    return result;
  }
  return fromText(schema, env[envName(section, path)] ?? base);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  const parsed: unknown = parseYaml(text);
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new ConfigError(`config file ${path} must hold a mapping of sections`);
  }
  return (parsed ?? {}) as Record<string, unknown>;
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * The file's settings that validation dropped: names no setting has (a misspelling), which would
 * otherwise be ignored without a word. Found by walking the file's mapping beside what was parsed
 * from it; at the top level (the common section, beside every service's) only plain values count.
 */
function unknownSettings(given: unknown, parsed: unknown, path: string[], topLevel: boolean): string[] {
  if (!isMapping(given) || !isMapping(parsed)) {
    return [];
  }
  return Object.entries(given).flatMap(([key, value]) => {
    if (topLevel && isMapping(value)) {
      return [];
    }
    return key in parsed ? unknownSettings(value, parsed[key], [...path, key], false) : [[...path, key].join('.')];
  });
}

/**
 * Validate one section of settings into a frozen typed object. A wrong setting stops start-up
 * with a message naming the setting, its environment variable and what is wrong; so does a
 * setting in the file that no setting is called.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, section: string, sources: ConfigSources): Readonly<z.infer<S>> {
  const fromFile = section === '' ? sources.file : sources.file?.[section];
  const raw = overlayEnv(schema, section, [], fromFile, sources.env);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = [section, ...issue.path.map(String)].filter(Boolean).join('.');
      // A group of settings that is not a mapping can only come from the file: no variable to name.
      if (issue.code === 'invalid_type' && issue.expected === 'object') {
        return `invalid section ${name} in the config file: ${issue.message}`;
      }
      return `invalid setting ${name} (env ${envName(section, issue.path)}): ${issue.message}`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const unknown = unknownSettings(fromFile, result.data, section === '' ? [] : [section], section === '');
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((name) => `unknown setting ${name} in the config file`).join('; '));
  }
  return deepFreeze(result.data);
}
