/**
 * The attributes of the caller, as oslo.context's `to_policy_values()` produces them. Any other
 * attribute (e.g. `is_admin`, `token`) can be named on the left side of a check.
 */
export interface PolicyCredentials {
  user_id?: string;
  project_id?: string;
  domain_id?: string;
  system_scope?: string;
  roles: string[];
  is_admin_project?: boolean;
  [k: string]: unknown;
}

/** The object acted on; `%(key)s` in a rule reads from it. */
export type PolicyTarget = Record<string, unknown>;

/** A `%(key)s` reference into the target; `path` is the key split on dots, for nested targets. */
export interface TargetReference {
  readonly key: string;
  readonly path: readonly string[];
}

/** The right side of a check: literal text and target references, concatenated. */
export type Template = readonly (string | TargetReference)[];

/** A parsed rule: a tree of checks, built once and evaluated on every request. */
export type PolicyCheck =
  | { readonly type: 'always' }
  | { readonly type: 'never' }
  | { readonly type: 'not'; readonly check: PolicyCheck }
  | { readonly type: 'and'; readonly checks: readonly PolicyCheck[] }
  | { readonly type: 'or'; readonly checks: readonly PolicyCheck[] }
  /** `rule:name` — the named rule of the same policy. */
  | { readonly type: 'rule'; readonly name: string }
  /** `role:name` — the caller holds the role (case-insensitive). */
  | { readonly type: 'role'; readonly match: Template }
  /** `user_id:%(user_id)s` — a (dotted) credentials attribute equals the right side. */
  | { readonly type: 'attribute'; readonly path: readonly string[]; readonly match: Template }
  /** `'member':%(role.name)s`, `True:%(flag)s` — a Python literal equals the right side. */
  | { readonly type: 'literal'; readonly value: string; readonly match: Template };

/** Rules by name, for resolving `rule:name` checks. */
export type PolicyRules = ReadonlyMap<string, PolicyCheck>;

export function evaluateCheck(check: PolicyCheck, target: PolicyTarget, creds: PolicyCredentials, rules: PolicyRules): boolean {
  switch (check.type) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'not':
      return !evaluateCheck(check.check, target, creds, rules);
    case 'and':
      return check.checks.every((inner) => evaluateCheck(inner, target, creds, rules));
    case 'or':
      return check.checks.some((inner) => evaluateCheck(inner, target, creds, rules));
    case 'rule': {
      // An unknown rule fails closed, as in oslo.policy; the enforcer refuses such policies at load.
      const rule = rules.get(check.name);
      return rule !== undefined && evaluateCheck(rule, target, creds, rules);
    }
    case 'role': {
      const role = renderTemplate(check.match, target)?.toLowerCase();
      return role !== undefined && creds.roles.some((held) => held.toLowerCase() === role);
    }
    case 'attribute': {
      const expected = renderTemplate(check.match, target);
      return expected !== undefined && attributeMatches(creds, check.path, 0, expected);
    }
    case 'literal':
      return renderTemplate(check.match, target) === check.value;
  }
}

/** Substitutes target values into the template; undefined when one is missing, so the check fails. */
function renderTemplate(template: Template, target: PolicyTarget): string | undefined {
  let text = '';
  for (const part of template) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = toPolicyString(lookupTarget(target, part));
    if (value === undefined) {
      return undefined;
    }
    text += value;
  }
  return text;
}

/**
 * oslo.policy formats `%(target.user.id)s` against the target dict, so services like Keystone
 * flatten nested targets into dotted keys. We accept both: the exact key first, then the path.
 */
function lookupTarget(target: PolicyTarget, reference: TargetReference): unknown {
  if (Object.hasOwn(target, reference.key)) {
    return target[reference.key];
  }
  let value: unknown = target;
  for (const segment of reference.path) {
    if (!isRecord(value) || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = value[segment];
  }
  return value;
}

/** Walks a dotted credentials path; a list on the way matches when any of its items does (as oslo). */
function attributeMatches(value: unknown, path: readonly string[], index: number, expected: string): boolean {
  if (Array.isArray(value)) {
    return value.some((item) => attributeMatches(item, path, index, expected));
  }
  if (index === path.length) {
    return toPolicyString(value) === expected;
  }
  const segment = path[index];
  return isRecord(value) && Object.hasOwn(value, segment) && attributeMatches(value[segment], path, index + 1, expected);
}

/**
 * Renders a scalar the way Python's str() does, since rules compare strings (`True:%(flag)s`).
 * Null, undefined and objects yield undefined so they never match anything — in oslo.policy a
 * missing (None) attribute equals the literal text "None".
 */
function toPolicyString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
    case 'bigint':
      return String(value);
    case 'undefined':
    case 'object':
    case 'function':
    case 'symbol':
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
