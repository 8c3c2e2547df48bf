import { evaluateCheck, type PolicyCheck, type PolicyCredentials, type PolicyTarget } from './policy-checks';
import { PolicyConfigError, PolicySyntaxError } from './policy-errors';
import { readPolicyFile } from './policy-file';
import { parseRule } from './policy-parser';

/**
 * Holds a service's policy — its in-code defaults, with rules of the same name replaced by the
 * operator's overrides — parsed and validated once, so enforcing is a walk of a prepared tree.
 */
export class PolicyEnforcer {
  private readonly rules = new Map<string, PolicyCheck>();

  constructor(defaults: Record<string, string>, overrides: Record<string, string> = {}) {
    for (const [name, text] of Object.entries({ ...defaults, ...overrides })) {
      try {
        this.rules.set(name, parseRule(text));
      } catch (error) {
        if (error instanceof PolicySyntaxError) {
          throw new PolicyConfigError(`Policy rule "${name}": ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
    this.checkReferences();
  }

  /** Loads overrides from a policy file (YAML, or JSON by extension); no path means defaults only. */
  static fromFile(defaults: Record<string, string>, path: string | undefined): PolicyEnforcer {
    if (path === undefined) {
      return new PolicyEnforcer(defaults);
    }
    const overrides = readPolicyFile(path);
    try {
      return new PolicyEnforcer(defaults, overrides);
    } catch (error) {
      if (error instanceof PolicyConfigError) {
        throw new PolicyConfigError(`Policy file ${path}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** Whether the caller may perform the action on the target; an action with no rule is a bug. */
  enforce(action: string, target: PolicyTarget, creds: PolicyCredentials): boolean {
    const rule = this.rules.get(action);
    if (rule === undefined) {
      throw new Error(`No policy rule is defined for action "${action}"`);
    }
    return evaluateCheck(rule, target, creds, this.rules);
  }

  /**
   * oslo.policy lets `rule:x` with no rule x fail closed at request time and recurses forever on a
   * cycle; both are configuration mistakes, so we refuse them at load.
   */
  private checkReferences(): void {
    const done = new Set<string>();
    const visit = (name: string, path: readonly string[]): void => {
      if (done.has(name)) {
        return;
      }
      if (path.includes(name)) {
        throw new PolicyConfigError(`Policy rules reference each other in a cycle: ${[...path, name].join(' -> ')}`);
      }
      const check = this.rules.get(name);
      if (check === undefined) {
        throw new PolicyConfigError(`Policy rule "${path[path.length - 1]}" references unknown rule "${name}"`);
      }
      for (const reference of ruleReferences(check)) {
        visit(reference, [...path, name]);
      }
      done.add(name);
    };
    for (const name of this.rules.keys()) {
      visit(name, []);
    }
  }
}

function ruleReferences(check: PolicyCheck): string[] {
  switch (check.type) {
    case 'rule':
      return [check.name];
    case 'not':
      return ruleReferences(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(ruleReferences);
    case 'always':
    case 'never':
    case 'role':
    case 'attribute':
    case 'literal':
      return [];
  }
}
