import { type AuthContext, type PolicyService } from '@overcast/shared/auth';
import { badRequest, forbidden } from '@overcast/shared/core';

/** Who is asking, with the policy to check. Nova works in the token's project: the URL names none. */
export class Caller {
  readonly isAdmin: boolean;
  readonly projectId: string;

  constructor(
    readonly auth: AuthContext,
    private readonly policy: PolicyService,
  ) {
    if (auth.projectId === undefined) {
      throw badRequest('The compute API needs a project-scoped token.');
    }
    this.projectId = auth.projectId;
    this.isAdmin = policy.allows('context_is_admin', auth);
  }

  get userId(): string {
    return this.auth.userId;
  }

  allows(rule: string, target: { project_id?: string; user_id?: string } = {}): boolean {
    return this.policy.allows(rule, this.auth, { project_id: this.projectId, user_id: this.userId, ...target });
  }

  /** Nova's 403, naming the rule. */
  enforce(rule: string, target: { project_id?: string; user_id?: string } = {}): void {
    if (!this.allows(rule, target)) {
      throw forbidden(`Policy doesn't allow ${rule} to be performed.`);
    }
  }

  /** Whether a resource of `projectId` is visible: the caller's project's, or anything for an admin. */
  sees(resource: { projectId: string }): boolean {
    return resource.projectId === this.projectId || this.isAdmin;
  }
}
