import { PolicySyntaxError } from './policy-errors';
import { parseRule } from './policy-parser';

const role = (name: string) => ({ type: 'role', match: [name] });

describe('parseRule', () => {
  describe('single checks', () => {
    it.each([
      ['@', { type: 'always' }],
      ['!', { type: 'never' }],
      ['', { type: 'always' }],
      ['role:admin', role('admin')],
      ['role:compute:admin', role('compute:admin')],
      ['rule:admin_required', { type: 'rule', name: 'admin_required' }],
      ['rule:identity:get_user', { type: 'rule', name: 'identity:get_user' }],
      ['system_scope:all', { type: 'attribute', path: ['system_scope'], match: ['all'] }],
      ['is_admin:True', { type: 'attribute', path: ['is_admin'], match: ['True'] }],
      ['token.is_admin_project:True', { type: 'attribute', path: ['token', 'is_admin_project'], match: ['True'] }],
      ['project_id:%(project_id)s', { type: 'attribute', path: ['project_id'], match: [{ key: 'project_id', path: ['project_id'] }] }],
      [
        'user_id:%(target.user.id)s',
        { type: 'attribute', path: ['user_id'], match: [{ key: 'target.user.id', path: ['target', 'user', 'id'] }] },
      ],
      ["'member':%(role.name)s", { type: 'literal', value: 'member', match: [{ key: 'role.name', path: ['role', 'name'] }] }],
      ['"member":%(role.name)s', { type: 'literal', value: 'member', match: [{ key: 'role.name', path: ['role', 'name'] }] }],
      [
        'True:%(enforce_new_defaults)s',
        { type: 'literal', value: 'True', match: [{ key: 'enforce_new_defaults', path: ['enforce_new_defaults'] }] },
      ],
      ['False:%(flag)s', { type: 'literal', value: 'False', match: [{ key: 'flag', path: ['flag'] }] }],
      ['-42:%(n)s', { type: 'literal', value: '-42', match: [{ key: 'n', path: ['n'] }] }],
      ['role:', { type: 'role', match: [''] }],
    ])('parses %j', (rule, expected) => {
      expect(parseRule(rule)).toEqual(expected);
    });

    it('parses a right side that mixes text, several substitutions and an escaped percent', () => {
      expect(parseRule('name:%(a)s-%(b.c)s:100%%')).toEqual({
        type: 'attribute',
        path: ['name'],
        match: [{ key: 'a', path: ['a'] }, '-', { key: 'b.c', path: ['b', 'c'] }, ':100%'],
      });
    });
  });

  describe('operators', () => {
    it('joins a chain of the same operator into one node', () => {
      expect(parseRule('role:a and role:b and role:c')).toEqual({ type: 'and', checks: [role('a'), role('b'), role('c')] });
      expect(parseRule('role:a or role:b or role:c')).toEqual({ type: 'or', checks: [role('a'), role('b'), role('c')] });
    });

    it('binds "and" tighter than "or" on either side', () => {
      expect(parseRule('role:a or role:b and role:c')).toEqual({
        type: 'or',
        checks: [role('a'), { type: 'and', checks: [role('b'), role('c')] }],
      });
      expect(parseRule('role:a and role:b or role:c')).toEqual({
        type: 'or',
        checks: [{ type: 'and', checks: [role('a'), role('b')] }, role('c')],
      });
    });

    it('binds "not" tighter than "and"', () => {
      expect(parseRule('not role:a and role:b')).toEqual({ type: 'and', checks: [{ type: 'not', check: role('a') }, role('b')] });
      expect(parseRule('role:a and not role:b or role:c')).toEqual({
        type: 'or',
        checks: [{ type: 'and', checks: [role('a'), { type: 'not', check: role('b') }] }, role('c')],
      });
      expect(parseRule('not not role:a')).toEqual({ type: 'not', check: { type: 'not', check: role('a') } });
    });

    it('lets parentheses override precedence', () => {
      expect(parseRule('(role:a or role:b) and role:c')).toEqual({
        type: 'and',
        checks: [{ type: 'or', checks: [role('a'), role('b')] }, role('c')],
      });
      expect(parseRule('not (role:a or role:b)')).toEqual({ type: 'not', check: { type: 'or', checks: [role('a'), role('b')] } });
      expect(parseRule('((role:a))')).toEqual(role('a'));
    });

    it('keeps the parentheses of %(key)s inside a check and strips the ones around it', () => {
      expect(parseRule('(role:reader and project_id:%(project_id)s)')).toEqual({
        type: 'and',
        checks: [role('reader'), { type: 'attribute', path: ['project_id'], match: [{ key: 'project_id', path: ['project_id'] }] }],
      });
    });

    it('accepts operators in any case and any whitespace between words', () => {
      expect(parseRule('  role:a\tAND\n role:b  Or NOT role:c ')).toEqual({
        type: 'or',
        checks: [{ type: 'and', checks: [role('a'), role('b')] }, { type: 'not', check: role('c') }],
      });
    });
  });

  describe('syntax errors', () => {
    it.each([
      ['role:admin and', 'the rule ends where a check was expected'],
      ['not', 'the rule ends where a check was expected'],
      ['and role:admin', 'expected a check but found "and"'],
      ['role:a or or role:b', 'expected a check but found "or"'],
      ['()', 'expected a check but found ")"'],
      ['(role:admin', 'a "(" is never closed'],
      ['role:admin)', 'unexpected ")" after a complete expression'],
      ['role:a role:b', 'unexpected "role:b" after a complete expression'],
      ['admin', '"admin" is not a check (expected "kind:match", "@" or "!")'],
      [':admin', '":admin" is not a check'],
      ['"role:admin"', '"role:admin" is a quoted string, not a check'],
      ['http://policy.example.com/check', '"http:" checks are not supported'],
      ['project_id:%(project_id)d', '"%(project_id)d" has a "%" that is not "%(name)s" or "%%"'],
      ['quota:100%', '"100%" has a "%" that is not "%(name)s" or "%%"'],
      ['   ', 'the rule is blank'],
    ])('rejects %j', (rule, detail) => {
      expect(() => parseRule(rule)).toThrow(PolicySyntaxError);
      expect(() => parseRule(rule)).toThrow(`Invalid policy rule ${JSON.stringify(rule)}: ${detail}`);
    });

    it('carries the rule text on the error', () => {
      const error = catchError(() => parseRule('role:a and'));
      expect(error).toBeInstanceOf(PolicySyntaxError);
      expect((error as PolicySyntaxError).rule).toBe('role:a and');
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
