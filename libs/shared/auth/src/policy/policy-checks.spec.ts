import { evaluateCheck, type PolicyCheck, type PolicyCredentials, type PolicyTarget } from './policy-checks';
import { parseRule } from './policy-parser';

function allows(rule: string, target: PolicyTarget, creds: Partial<PolicyCredentials>, rules = new Map<string, PolicyCheck>()): boolean {
  return evaluateCheck(parseRule(rule), target, { roles: [], ...creds }, rules);
}

describe('evaluateCheck', () => {
  it('treats "@" and the empty rule as always and "!" as never', () => {
    expect(allows('@', {}, {})).toBe(true);
    expect(allows('', {}, {})).toBe(true);
    expect(allows('!', {}, {})).toBe(false);
  });

  describe('role checks', () => {
    it('matches a held role, ignoring case', () => {
      expect(allows('role:admin', {}, { roles: ['reader', 'Admin'] })).toBe(true);
      expect(allows('role:ADMIN', {}, { roles: ['admin'] })).toBe(true);
      expect(allows('role:admin', {}, { roles: ['member'] })).toBe(false);
    });

    it('substitutes the role name from the target, failing when it is missing', () => {
      expect(allows('role:%(role_name)s', { role_name: 'member' }, { roles: ['member'] })).toBe(true);
      expect(allows('role:%(role_name)s', {}, { roles: ['member'] })).toBe(false);
    });
  });

  describe('attribute checks', () => {
    it('compares a credentials attribute with a value from the target', () => {
      expect(allows('project_id:%(project_id)s', { project_id: 'p1' }, { project_id: 'p1' })).toBe(true);
      expect(allows('project_id:%(project_id)s', { project_id: 'p2' }, { project_id: 'p1' })).toBe(false);
      expect(allows('project_id:%(project_id)s', {}, { project_id: 'p1' })).toBe(false);
      expect(allows('project_id:%(project_id)s', { project_id: 'p1' }, {})).toBe(false);
    });

    it('compares a credentials attribute with a literal right side', () => {
      expect(allows('system_scope:all', {}, { system_scope: 'all' })).toBe(true);
      expect(allows('system_scope:all', {}, {})).toBe(false);
    });

    it('reads dotted paths into a nested target, or a flattened target key as Keystone passes it', () => {
      const rule = 'user_id:%(target.user.id)s';
      expect(allows(rule, { target: { user: { id: 'u1' } } }, { user_id: 'u1' })).toBe(true);
      expect(allows(rule, { 'target.user.id': 'u1' }, { user_id: 'u1' })).toBe(true);
      expect(allows(rule, { target: { user: {} } }, { user_id: 'u1' })).toBe(false);
      expect(allows(rule, { target: 'u1' }, { user_id: 'u1' })).toBe(false);
    });

    it('prefers the exact flattened key over the nested path', () => {
      const target = { 'target.user.id': 'flat', target: { user: { id: 'nested' } } };
      expect(allows('user_id:%(target.user.id)s', target, { user_id: 'flat' })).toBe(true);
      expect(allows('user_id:%(target.user.id)s', target, { user_id: 'nested' })).toBe(false);
    });

    it('reads dotted paths into the credentials', () => {
      expect(allows('token.is_admin_project:True', {}, { token: { is_admin_project: true } })).toBe(true);
      expect(allows('token.is_admin_project:True', {}, { token: { is_admin_project: false } })).toBe(false);
      expect(allows('token.domain.id:%(domain_id)s', { domain_id: 'd1' }, { token: { domain: { id: 'd1' } } })).toBe(true);
      expect(allows('token.domain.id:%(domain_id)s', { domain_id: 'd1' }, { token: 'd1' })).toBe(false);
    });

    it('renders booleans and numbers as Python does before comparing', () => {
      expect(allows('is_admin_project:True', {}, { is_admin_project: true })).toBe(true);
      expect(allows('is_admin_project:True', {}, { is_admin_project: false })).toBe(false);
      expect(allows('is_admin_project:True', {}, {})).toBe(false);
      expect(allows('is_admin_project:False', {}, { is_admin_project: false })).toBe(true);
      expect(allows('level:%(level)s', { level: 3 }, { level: 3 })).toBe(true);
      // oslo.policy compares str(True) == "1": false, so `is_admin:1` needs a numeric is_admin.
      expect(allows('is_admin:1', {}, { is_admin: 1 })).toBe(true);
      expect(allows('is_admin:1', {}, { is_admin: true })).toBe(false);
    });

    it('matches when any item of a list on the path matches', () => {
      expect(allows('roles:admin', {}, { roles: ['reader', 'admin'] })).toBe(true);
      expect(allows('roles:Admin', {}, { roles: ['admin'] })).toBe(false);
      expect(allows('groups.id:%(group_id)s', { group_id: 'g2' }, { groups: [{ id: 'g1' }, { id: 'g2' }] })).toBe(true);
      expect(allows('groups.id:%(group_id)s', { group_id: 'g3' }, { groups: [{ id: 'g1' }, { id: 'g2' }] })).toBe(false);
    });

    it('never matches null, undefined or object values', () => {
      expect(allows('parent_id:%(parent_id)s', { parent_id: null }, { parent_id: null })).toBe(false);
      expect(allows('parent_id:%(parent_id)s', { parent_id: undefined }, { parent_id: undefined })).toBe(false);
      expect(allows('domain_id:%(domain)s', { domain: { id: 'd1' } }, { domain_id: 'd1' })).toBe(false);
      expect(allows('token:%(token)s', { token: 'x' }, { token: { id: 'x' } })).toBe(false);
    });

    it('ignores inherited properties on either side', () => {
      expect(allows('user_id:%(constructor)s', {}, { user_id: String(Object) })).toBe(false);
      expect(allows('constructor:%(x)s', { x: String(Object) }, {})).toBe(false);
    });
  });

  describe('literal checks', () => {
    it('compares a quoted literal with the target value, case-sensitively', () => {
      expect(allows("'member':%(role.name)s", { role: { name: 'member' } }, {})).toBe(true);
      expect(allows("'member':%(role.name)s", { role: { name: 'Member' } }, {})).toBe(false);
      expect(allows('"member":%(role.name)s', { 'role.name': 'member' }, {})).toBe(true);
    });

    it('compares True and False with booleans as Python renders them', () => {
      expect(allows('True:%(enforce_new_defaults)s', { enforce_new_defaults: true }, {})).toBe(true);
      expect(allows('True:%(enforce_new_defaults)s', { enforce_new_defaults: 'True' }, {})).toBe(true);
      expect(allows('True:%(enforce_new_defaults)s', { enforce_new_defaults: false }, {})).toBe(false);
      expect(allows('True:%(enforce_new_defaults)s', {}, {})).toBe(false);
      expect(allows('False:%(enforce_new_defaults)s', { enforce_new_defaults: false }, {})).toBe(true);
    });
  });

  describe('operators', () => {
    const reader = { roles: ['reader'], project_id: 'p1' };

    it.each([
      ['not role:admin', true],
      ['not role:reader', false],
      ['role:reader and project_id:%(project_id)s', true],
      ['role:reader and project_id:other', false],
      ['role:admin or role:reader', true],
      ['role:admin or role:member', false],
      // "and" binds tighter: reader or (admin and member).
      ['role:reader or role:admin and role:member', true],
      ['(role:reader or role:admin) and role:member', false],
      ['not role:admin and role:reader', true],
      ['not (role:admin or role:reader)', false],
    ])('%s → %s', (rule, expected) => {
      expect(allows(rule, { project_id: 'p1' }, reader)).toBe(expected);
    });
  });

  describe('rule references', () => {
    it('evaluates the named rule, failing closed when it is unknown', () => {
      const rules = new Map([['admin_required', parseRule('role:admin')]]);
      expect(allows('rule:admin_required', {}, { roles: ['admin'] }, rules)).toBe(true);
      expect(allows('rule:admin_required', {}, { roles: ['reader'] }, rules)).toBe(false);
      expect(allows('rule:missing', {}, { roles: ['admin'] }, rules)).toBe(false);
    });
  });
});
