export type { PolicyCheck, PolicyCredentials, PolicyTarget } from './policy-checks';
export { PolicyConfigError, PolicySyntaxError } from './policy-errors';
export { PolicyEnforcer } from './policy-enforcer';
export { parseRule } from './policy-parser';
