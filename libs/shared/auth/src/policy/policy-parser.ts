import type { PolicyCheck, Template, TargetReference } from './policy-checks';
import { PolicySyntaxError } from './policy-errors';

/**
 * Parses an oslo.policy rule string into a check tree.
 *
 * Grammar (oslo.policy's precedence: `not` binds tightest, then `and`, then `or`):
 *   or-expr  := and-expr ('or' and-expr)*
 *   and-expr := unary ('and' unary)*
 *   unary    := 'not' unary | '(' or-expr ')' | check
 * The empty rule always passes. Unlike oslo.policy, which logs and fails closed on a rule it
 * cannot parse, this throws, so a broken policy stops start-up instead of denying silently.
 */
export function parseRule(rule: string): PolicyCheck {
  if (rule === '') {
    return { type: 'always' };
  }
  const tokens = tokenize(rule);
  if (tokens.length === 0) {
    throw new PolicySyntaxError(rule, 'the rule is blank (use "" or "@" to always allow)');
  }
  const parser = new Parser(rule, tokens);
  return parser.parse();
}

type Token =
  | { readonly type: '(' | ')' | 'and' | 'or' | 'not'; readonly text: string }
  | { readonly type: 'check'; readonly text: string; readonly check: PolicyCheck };

/**
 * Splits on whitespace like oslo.policy: parentheses count only at the start or end of a word, so
 * the ones inside `%(project_id)s` stay part of the check. `and`/`or`/`not` are case-insensitive.
 */
function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  for (const word of rule.split(/\s+/)) {
    const withoutOpen = word.replace(/^\(+/, '');
    for (let i = withoutOpen.length; i < word.length; i++) {
      tokens.push({ type: '(', text: '(' });
    }
    const text = withoutOpen.replace(/\)+$/, '');
    const lowered = text.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
      tokens.push({ type: lowered, text });
    } else if (text !== '') {
      // As in oslo, a word quoted at both ends is a string, which no rule accepts in check position.
      if (QUOTED.test(withoutOpen)) {
        throw new PolicySyntaxError(rule, `${withoutOpen} is a quoted string, not a check`);
      }
      tokens.push({ type: 'check', text, check: parseCheck(rule, text) });
    }
    for (let i = withoutOpen.length - text.length; i > 0; i--) {
      tokens.push({ type: ')', text: ')' });
    }
  }
  return tokens;
}

/** Python literals oslo.policy's ast.literal_eval accepts on the left, rendered as str() would. */
const PYTHON_CONSTANTS = new Set(['True', 'False', 'None']);
const INTEGER = /^(0|-?[1-9][0-9]*)$/;
const QUOTED = /^(['"])(.*)\1$/s;
/** Remote checks call out over HTTP on every request; we do not offer them. */
const UNSUPPORTED_KINDS = new Set(['http', 'https']);

function parseCheck(rule: string, text: string): PolicyCheck {
  if (text === '@') {
    return { type: 'always' };
  }
  if (text === '!') {
    return { type: 'never' };
  }
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new PolicySyntaxError(rule, `"${text}" is not a check (expected "kind:match", "@" or "!")`);
  }
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (UNSUPPORTED_KINDS.has(kind)) {
    throw new PolicySyntaxError(rule, `"${kind}:" checks are not supported`);
  }
  if (kind === 'rule') {
    return { type: 'rule', name: match };
  }
  if (kind === 'role') {
    return { type: 'role', match: parseTemplate(rule, match) };
  }
  const quoted = QUOTED.exec(kind);
  if (quoted) {
    return { type: 'literal', value: quoted[2], match: parseTemplate(rule, match) };
  }
  if (PYTHON_CONSTANTS.has(kind) || INTEGER.test(kind)) {
    return { type: 'literal', value: kind, match: parseTemplate(rule, match) };
  }
  return { type: 'attribute', path: kind.split('.'), match: parseTemplate(rule, match) };
}

/** Parses the Python `%` format oslo.policy applies to the right side: `%(key)s` and `%%` only. */
function parseTemplate(rule: string, match: string): Template {
  const parts: (string | TargetReference)[] = [];
  let literal = '';
  let i = 0;
  while (i < match.length) {
    const percent = match.indexOf('%', i);
    if (percent === -1) {
      literal += match.slice(i);
      break;
    }
    literal += match.slice(i, percent);
    if (match[percent + 1] === '%') {
      literal += '%';
      i = percent + 2;
      continue;
    }
    const close = match.indexOf(')', percent);
    if (match[percent + 1] !== '(' || close === -1 || match[close + 1] !== 's') {
      throw new PolicySyntaxError(rule, `"${match}" has a "%" that is not "%(name)s" or "%%"`);
    }
    if (literal !== '') {
      parts.push(literal);
      literal = '';
    }
    const key = match.slice(percent + 2, close);
    parts.push({ key, path: key.split('.') });
    i = close + 2;
  }
  if (literal !== '' || parts.length === 0) {
    parts.push(literal);
  }
  return parts;
}

class Parser {
  private position = 0;

  constructor(
    private readonly rule: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): PolicyCheck {
    const check = this.parseOr();
    const extra = this.tokens[this.position];
    if (extra !== undefined) {
      throw this.error(`unexpected "${extra.text}" after a complete expression`);
    }
    return check;
  }

  private parseOr(): PolicyCheck {
    const checks = [this.parseAnd()];
    while (this.accept('or')) {
      checks.push(this.parseAnd());
    }
    return checks.length === 1 ? checks[0] : { type: 'or', checks };
  }

  private parseAnd(): PolicyCheck {
    const checks = [this.parseUnary()];
    while (this.accept('and')) {
      checks.push(this.parseUnary());
    }
    return checks.length === 1 ? checks[0] : { type: 'and', checks };
  }

  private parseUnary(): PolicyCheck {
    const token = this.tokens[this.position];
    if (token === undefined) {
      throw this.error(`the rule ends where a check was expected`);
    }
    this.position++;
    switch (token.type) {
      case 'not':
        return { type: 'not', check: this.parseUnary() };
      case '(': {
        const inner = this.parseOr();
        if (!this.accept(')')) {
          throw this.error('a "(" is never closed');
        }
        return inner;
      }
      case 'check':
        return token.check;
      case ')':
      case 'and':
      case 'or':
        throw this.error(`expected a check but found "${token.text}"`);
    }
  }

  private accept(type: Token['type']): boolean {
    if (this.tokens[this.position]?.type !== type) {
      return false;
    }
    this.position++;
    return true;
  }

  private error(detail: string): PolicySyntaxError {
    return new PolicySyntaxError(this.rule, detail);
  }
}
