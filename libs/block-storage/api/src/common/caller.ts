import { type AuthContext, type PolicyService } from '@overcast/shared/auth';
import { badRequest, forbidden, notFound } from '@overcast/shared/core';

/** Who is asking, in which project's URL, with the policy to check. */
export class Caller {
  readonly isAdmin: boolean;

  /**
   * `urlProjectId` is the `{project_id}` of the path: it must be the token's project unless the
   * caller is an admin (Cinder's "Malformed request url"), so a member cannot reach another
   * project's resources by writing its id into the URL.
   */
  constructor(
    readonly auth: AuthContext,
    private readonly policy: PolicyService,
    readonly urlProjectId: string,
  ) {
    this.isAdmin = policy.allows('context_is_admin', auth);
    if (!this.isAdmin && urlProjectId !== auth.projectId) {
      throw badRequest('Malformed request url');
    }
  }

  /** The project the caller works in: the URL's. */
  get projectId(): string {
    return this.urlProjectId;
  }

  allows(rule: string, projectId = this.projectId): boolean {
    return this.policy.allows(rule, this.auth, { project_id: projectId });
  }

  /** Cinder's 403, naming the rule. */
  enforce(rule: string, projectId = this.projectId): void {
    if (!this.allows(rule, projectId)) {
      throw forbidden(`Policy doesn't allow ${rule} to be performed.`);
    }
  }

  /** Whether a resource of `projectId` is visible: the URL's project's, or anything for an admin. */
  sees(resource: { projectId: string }): boolean {
    return resource.projectId === this.projectId || this.isAdmin;
  }
}

/** Cinder's NotFound wording: "Volume 1234 could not be found." */
export function resourceNotFound(kind: string, id: string) {
  return notFound(`${kind} ${id} could not be found.`);
}
