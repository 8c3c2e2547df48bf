/**
 * Just enough of python-jsonschema to validate against Glance's image schema the way Glance does
 * (`glance/schema.py` Schema.validate → `jsonschema.validate`), with jsonschema's messages for the keywords the
 * image schema uses: type, enum, maxLength, minLength, pattern, properties, additionalProperties, items, required.
 * Annotations (description, readOnly, writeOnly, is_base, name, links) are ignored, as jsonschema ignores them.
 *
 * Of several errors, jsonschema.validate raises `best_match`: the shallowest one, preferring errors whose
 * instance does not even have the schema's type, and otherwise the first found (in the schema's key order).
 */
import { type JsonObject, type JsonValue } from './image-schemas';

/** Python's `repr()` of a JSON value, as jsonschema puts values in its messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value === 'string') {
    return pyStringRepr(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => pyRepr(item)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Python's `str()` as `'%s' % value` uses it: strings as they are, anything else as its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') {
      out += '\\\\';
    } else if (char === quote) {
      out += `\\${quote}`;
    } else if (char === '\n') {
      out += '\\n';
    } else if (char === '\r') {
      out += '\\r';
    } else if (char === '\t') {
      out += '\\t';
    } else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else {
      out += char;
    }
  }
  return out + quote;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** jsonschema's type checker (draft 4 and later: an integral float is an integer; a boolean is no number). */
function isType(instance: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return instance === null;
    case 'boolean':
      return typeof instance === 'boolean';
    case 'string':
      return typeof instance === 'string';
    case 'integer':
      return typeof instance === 'number' && Number.isInteger(instance);
    case 'number':
      return typeof instance === 'number';
    case 'array':
      return Array.isArray(instance);
    case 'object':
      return isPlainObject(instance);
    default:
      return false;
  }
}

function typesOf(schema: JsonObject): string[] | undefined {
  const type = schema['type'];
  if (typeof type === 'string') {
    return [type];
  }
  return Array.isArray(type) ? type.filter((each): each is string => typeof each === 'string') : undefined;
}

function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) {
    return true;
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => jsonEqual(item, right[index]));
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => key in right && jsonEqual(left[key], right[key]));
  }
  return false;
}

/**
 * `re.search(pattern, text)`: unanchored, and (without re.MULTILINE) a final `$` also matches before a trailing
 * newline, which JavaScript's `$` does not.
 */
function pythonSearch(pattern: string, text: string): boolean {
  const source = /(^|[^\\])\$$/.test(pattern) ? `${pattern.slice(0, -1)}(?=\n?$)` : pattern;
  return new RegExp(source).test(text);
}

interface FoundError {
  message: string;
  depth: number;
  /** jsonschema's relevance: an error whose instance does not have its schema's type outranks one whose does. */
  typeMismatch: boolean;
}

function asSchema(value: JsonValue | undefined): JsonObject | undefined {
  return isPlainObject(value) ? (value as JsonObject) : undefined;
}

function collect(instance: unknown, schema: JsonObject, depth: number, errors: FoundError[]): void {
  const types = typesOf(schema);
  const typeMismatch = types === undefined || !types.some((type) => isType(instance, type));
  const found = (message: string) => errors.push({ message, depth, typeMismatch });
  const length = typeof instance === 'string' ? [...instance].length : 0;

  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case 'type':
        if (types !== undefined && typeMismatch) {
          found(`${pyRepr(instance)} is not of type ${types.map((type) => pyRepr(type)).join(', ')}`);
        }
        break;
      case 'enum':
        if (Array.isArray(value) && !value.some((each) => jsonEqual(each, instance))) {
          found(`${pyRepr(instance)} is not one of ${pyRepr(value)}`);
        }
        break;
      case 'maxLength':
        if (typeof instance === 'string' && typeof value === 'number' && length > value) {
          found(`${pyRepr(instance)} ${value === 0 ? 'is expected to be empty' : 'is too long'}`);
        }
        break;
      case 'minLength':
        if (typeof instance === 'string' && typeof value === 'number' && length < value) {
          found(`${pyRepr(instance)} ${value === 1 ? 'should be non-empty' : 'is too short'}`);
        }
        break;
      case 'pattern':
        if (typeof instance === 'string' && typeof value === 'string' && !pythonSearch(value, instance)) {
          found(`${pyRepr(instance)} does not match ${pyRepr(value)}`);
        }
        break;
      case 'required':
        if (isPlainObject(instance) && Array.isArray(value)) {
          for (const name of value) {
            if (typeof name === 'string' && !Object.hasOwn(instance, name)) {
              found(`${pyRepr(name)} is a required property`);
            }
          }
        }
        break;
      case 'properties': {
        const properties = asSchema(value);
        if (isPlainObject(instance) && properties) {
          for (const [name, subschema] of Object.entries(properties)) {
            const sub = asSchema(subschema);
            if (sub && Object.hasOwn(instance, name)) {
              collect(instance[name], sub, depth + 1, errors);
            }
          }
        }
        break;
      }
      case 'additionalProperties':
        if (isPlainObject(instance)) {
          const known = asSchema(schema['properties']) ?? {};
          const extras = Object.keys(instance).filter((name) => !Object.hasOwn(known, name));
          const sub = asSchema(value);
          if (sub) {
            for (const name of extras) {
              collect(instance[name], sub, depth + 1, errors);
            }
          } else if (value === false && extras.length > 0) {
            const sorted = [...extras].sort();
            found(`Additional properties are not allowed (${sorted.map((name) => pyRepr(name)).join(', ')} ${sorted.length === 1 ? 'was' : 'were'} unexpected)`);
          }
        }
        break;
      case 'items': {
        const sub = asSchema(value);
        if (Array.isArray(instance) && sub) {
          for (const item of instance) {
            collect(item, sub, depth + 1, errors);
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * Validate like `jsonschema.validate(instance, schema)`; returns the message of the error jsonschema would raise
 * (its first line, without the "Failed validating…" detail Glance's str(ValidationError) appends), or undefined.
 */
export function validateAgainstSchema(instance: unknown, schema: JsonObject): string | undefined {
  const errors: FoundError[] = [];
  collect(instance, schema, 0, errors);
  let best: FoundError | undefined;
  for (const error of errors) {
    if (best === undefined || error.depth < best.depth || (error.depth === best.depth && error.typeMismatch && !best.typeMismatch)) {
      best = error;
    }
  }
  return best?.message;
}
