import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyCredentials } from './policy-checks';
import { PolicyEnforcer } from './policy-enforcer';
import { PolicyConfigError } from './policy-errors';

/** A slice of Keystone's in-code defaults. */
const KEYSTONE_DEFAULTS: Record<string, string> = {
  admin_required: 'role:admin or is_admin:1',
  service_role: 'role:service',
  service_or_admin: 'rule:admin_required or rule:service_role',
  owner: 'user_id:%(user_id)s',
  admin_or_owner: 'rule:admin_required or rule:owner',
  token_subject: 'user_id:%(target.token.user_id)s',
  'identity:get_user':
    '(role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s',
  'identity:create_user': '(role:admin and system_scope:all) or (role:admin and token.domain.id:%(target.user.domain_id)s)',
  'identity:validate_token': '(role:reader and system_scope:all) or rule:service_role or rule:token_subject',
  'identity:list_projects': 'rule:admin_required',
};

const systemReader: PolicyCredentials = { user_id: 'sys', system_scope: 'all', roles: ['reader'] };
const domainReader: PolicyCredentials = { user_id: 'dr', domain_id: 'd1', roles: ['reader'] };
const domainAdmin: PolicyCredentials = { user_id: 'da', domain_id: 'd1', roles: ['admin', 'reader'], token: { domain: { id: 'd1' } } };
const projectMember: PolicyCredentials = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'] };

const userTarget = (id: string, domainId: string) => ({ target: { user: { id, domain_id: domainId } } });

describe('PolicyEnforcer', () => {
  describe('with Keystone-style defaults', () => {
    const enforcer = new PolicyEnforcer(KEYSTONE_DEFAULTS);

    it('lets a system reader read any user', () => {
      expect(enforcer.enforce('identity:get_user', userTarget('u9', 'd9'), systemReader)).toBe(true);
    });

    it('lets a domain reader read users of their own domain only', () => {
      expect(enforcer.enforce('identity:get_user', userTarget('u9', 'd1'), domainReader)).toBe(true);
      expect(enforcer.enforce('identity:get_user', userTarget('u9', 'd2'), domainReader)).toBe(false);
    });

    it('lets a user read themselves but nobody else', () => {
      expect(enforcer.enforce('identity:get_user', userTarget('u1', 'd2'), projectMember)).toBe(true);
      expect(enforcer.enforce('identity:get_user', userTarget('u2', 'd2'), projectMember)).toBe(false);
    });

    it('accepts the flattened target Keystone builds', () => {
      const flat = { 'target.user.id': 'u1', 'target.user.domain_id': 'd2' };
      expect(enforcer.enforce('identity:get_user', flat, projectMember)).toBe(true);
    });

    it('matches the token domain of a domain admin against the target', () => {
      expect(enforcer.enforce('identity:create_user', userTarget('new', 'd1'), domainAdmin)).toBe(true);
      expect(enforcer.enforce('identity:create_user', userTarget('new', 'd2'), domainAdmin)).toBe(false);
      expect(enforcer.enforce('identity:create_user', userTarget('new', 'd1'), domainReader)).toBe(false);
    });

    it('follows rule references', () => {
      expect(enforcer.enforce('identity:validate_token', {}, { roles: ['service'] })).toBe(true);
      expect(enforcer.enforce('identity:validate_token', { target: { token: { user_id: 'u1' } } }, projectMember)).toBe(true);
      expect(enforcer.enforce('identity:validate_token', { target: { token: { user_id: 'u2' } } }, projectMember)).toBe(false);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['admin'] })).toBe(true);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: [], is_admin: 1 })).toBe(true);
      expect(enforcer.enforce('identity:list_projects', {}, projectMember)).toBe(false);
    });

    it('throws on an action without a rule', () => {
      expect(() => enforcer.enforce('identity:no_such_action', {}, systemReader)).toThrow(
        'No policy rule is defined for action "identity:no_such_action"',
      );
    });
  });

  describe('overrides', () => {
    it('replace defaults by name, and references resolve across both', () => {
      const enforcer = new PolicyEnforcer(KEYSTONE_DEFAULTS, {
        cloud_admin: 'role:cloud_admin',
        admin_required: 'rule:cloud_admin',
      });
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['cloud_admin'] })).toBe(true);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['admin'] })).toBe(false);
      expect(enforcer.enforce('identity:get_user', userTarget('u1', 'd1'), projectMember)).toBe(true);
    });

    it('may define rules that defaults reference', () => {
      const enforcer = new PolicyEnforcer({ 'compute:start': 'rule:operator' }, { operator: 'role:operator' });
      expect(enforcer.enforce('compute:start', {}, { roles: ['operator'] })).toBe(true);
    });
  });

  describe('load-time errors', () => {
    it('names the rule with bad syntax and quotes its text', () => {
      expectConfigError(
        () => new PolicyEnforcer({ ...KEYSTONE_DEFAULTS, broken: 'role:admin and' }),
        'Policy rule "broken": Invalid policy rule "role:admin and": the rule ends where a check was expected',
      );
      expectConfigError(
        () => new PolicyEnforcer(KEYSTONE_DEFAULTS, { admin_required: '(role:admin' }),
        'Policy rule "admin_required": Invalid policy rule "(role:admin": a "(" is never closed',
      );
    });

    it('names a reference to an unknown rule', () => {
      expectConfigError(() => new PolicyEnforcer({ a: 'role:x or rule:missing' }), 'Policy rule "a" references unknown rule "missing"');
    });

    it('refuses rules that reference each other in a cycle', () => {
      expectConfigError(
        () => new PolicyEnforcer({ a: 'rule:b', b: 'role:x or rule:c', c: 'not rule:a' }),
        'Policy rules reference each other in a cycle: a -> b -> c -> a',
      );
      expectConfigError(() => new PolicyEnforcer({ a: 'rule:a' }), 'Policy rules reference each other in a cycle: a -> a');
    });

    it('accepts a rule referenced from many places', () => {
      expect(() => new PolicyEnforcer({ base: 'role:x', a: 'rule:base', b: 'rule:base and rule:a' })).not.toThrow();
    });
  });

  describe('fromFile', () => {
    let dir: string;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'overcast-policy-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    function write(name: string, text: string): string {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    }

    it('uses the defaults alone without a path', () => {
      const enforcer = PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, undefined);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['admin'] })).toBe(true);
    });

    it('reads overrides from a YAML file', () => {
      const path = write(
        'policy.yaml',
        [
          '# Only cloud admins list projects here.',
          '"admin_required": "role:cloud_admin"',
          'identity:get_user: "rule:admin_required or user_id:%(target.user.id)s"',
          '',
        ].join('\n'),
      );
      const enforcer = PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['cloud_admin'] })).toBe(true);
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['admin'] })).toBe(false);
      expect(enforcer.enforce('identity:get_user', userTarget('u9', 'd9'), systemReader)).toBe(false);
      expect(enforcer.enforce('identity:get_user', userTarget('u1', 'd9'), projectMember)).toBe(true);
    });

    it('reads overrides from a JSON file', () => {
      const path = write('policy.json', JSON.stringify({ 'identity:list_projects': '@', owner: 'user_id:%(target.user.id)s' }, null, '\t'));
      const enforcer = PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path);
      expect(enforcer.enforce('identity:list_projects', {}, projectMember)).toBe(true);
      expect(enforcer.enforce('admin_or_owner', userTarget('u1', 'd1'), projectMember)).toBe(true);
    });

    it('treats an empty file as no overrides', () => {
      const enforcer = PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, write('policy.yaml', '# nothing overridden\n'));
      expect(enforcer.enforce('identity:list_projects', {}, { roles: ['admin'] })).toBe(true);
    });

    it('names the file and the rule when an override has bad syntax', () => {
      const path = write('policy.yaml', 'admin_required: "role:admin or"\n');
      expectConfigError(
        () => PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path),
        `Policy file ${path}: Policy rule "admin_required": Invalid policy rule "role:admin or": the rule ends where a check was expected`,
      );
    });

    it('names the file and the rule when an override references an unknown rule', () => {
      const path = write('policy.json', '{"identity:list_projects": "rule:cloud_admin"}');
      expectConfigError(
        () => PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path),
        `Policy file ${path}: Policy rule "identity:list_projects" references unknown rule "cloud_admin"`,
      );
    });

    it.each([
      ['a missing file', 'missing.yaml', undefined, 'Cannot load policy file'],
      ['malformed YAML', 'policy.yaml', 'a: "unclosed\n', 'Cannot load policy file'],
      ['malformed JSON', 'policy.json', '{"a": ', 'Cannot load policy file'],
      ['a list', 'policy.yaml', '- role:admin\n', 'must map rule names to rule strings'],
      ['a non-string rule', 'policy.yaml', 'admin_required:\n  - ["role:admin"]\n', 'rule "admin_required" must be a string'],
    ])('refuses %s', (_case, name, text, message) => {
      const path = text === undefined ? join(dir, name) : write(name, text);
      expect(() => PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path)).toThrow(PolicyConfigError);
      expect(() => PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path)).toThrow(message);
      expect(() => PolicyEnforcer.fromFile(KEYSTONE_DEFAULTS, path)).toThrow(path);
    });
  });
});

/** Asserts the exact message; jest's toThrow(error) would also compare the wrapped cause. */
function expectConfigError(load: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    load();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PolicyConfigError);
  expect((thrown as Error).message).toBe(message);
}
