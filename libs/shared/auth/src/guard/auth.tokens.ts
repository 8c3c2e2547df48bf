/** DI tokens of the auth module's pluggable sources. */
export const VERIFICATION_KEYS = Symbol('VERIFICATION_KEYS');
export const REVOCATION_FEED = Symbol('REVOCATION_FEED');
export const POLICY_ENFORCER = Symbol('POLICY_ENFORCER');
