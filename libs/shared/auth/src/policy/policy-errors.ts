/** A rule string that is not valid oslo.policy syntax; the message quotes the rule text. */
export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError';

  constructor(
    readonly rule: string,
    detail: string,
  ) {
    super(`Invalid policy rule ${JSON.stringify(rule)}: ${detail}`);
  }
}

/**
 * A policy (defaults plus overrides) that cannot be loaded: bad syntax in a named rule, a reference
 * to an unknown rule, a reference cycle, or an unreadable policy file. Raised at start-up, never
 * while enforcing.
 */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
}
