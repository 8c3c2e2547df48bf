import { Inject, Injectable } from '@nestjs/common';
import { forbidden } from '@overcast/shared/core';
import { type AuthContext } from './auth-context';
import { POLICY_ENFORCER } from './guard/auth.tokens';
import { type PolicyEnforcer, type PolicyTarget } from './policy';

/** Answers "may this caller do this to that?" with the service's rules; a refusal is a 403. */
@Injectable()
export class PolicyService {
  constructor(@Inject(POLICY_ENFORCER) private readonly enforcer: PolicyEnforcer) {}

  allows(action: string, auth: AuthContext, target: PolicyTarget = {}): boolean {
    return this.enforcer.enforce(action, target, auth.policyCredentials());
  }

  enforce(action: string, auth: AuthContext, target: PolicyTarget = {}): void {
    if (!this.allows(action, auth, target)) {
      throw forbidden(`You are not authorized to perform the requested action: ${action}.`);
    }
  }
}
