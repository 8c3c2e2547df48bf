import { type AuthContext, type PolicyService } from '@overcast/shared/auth';
import { badRequest, forbidden, notFound } from '@overcast/shared/core';

/** Who is asking, as the services need it: their project, cloud admin or not, and the policy to check. */
export class Caller {
  readonly isAdmin: boolean;
  /** Another service's own user: it reaches the ports it binds in any project, as Neutron's `service_api` does. */
  readonly isService: boolean;

  constructor(
    readonly auth: AuthContext,
    private readonly policy: PolicyService,
  ) {
    this.isAdmin = policy.allows('context_is_admin', auth);
    this.isService = policy.allows('service_api', auth);
  }

  /** The project that owns what this caller creates (an admin may name another). */
  get projectId(): string {
    return this.auth.projectId ?? '';
  }

  /**
   * The project a new resource belongs to: the caller's, or the one the body names
   * (`project_id`, or its old name `tenant_id`), which only an admin may name.
   */
  ownerFor(input: { project_id?: string; tenant_id?: string }): string {
    if (input.project_id !== undefined && input.tenant_id !== undefined && input.project_id !== input.tenant_id) {
      throw badRequest("Invalid input for operation: 'project_id' and 'tenant_id' do not match.", 'InvalidInput');
    }
    const projectId = input.project_id ?? input.tenant_id ?? this.projectId;
    if (projectId !== this.projectId) {
      this.enforce('context_is_admin');
    }
    return projectId;
  }

  /** The where-clause of a list: the caller's own rows, or every row for an admin. */
  listScope(): { projectId?: string } {
    return this.isAdmin ? {} : { projectId: this.projectId };
  }

  allows(rule: string, projectId?: string): boolean {
    return this.policy.allows(rule, this.auth, { project_id: projectId ?? this.projectId });
  }

  /** Neutron's 403: the rule by name, as its policy engine says it. */
  enforce(rule: string, projectId?: string): void {
    if (!this.allows(rule, projectId)) {
      throw forbidden(`rule:${rule} is disallowed by policy`, 'PolicyNotAuthorized');
    }
  }

  /** The caller's own resources, or every project's for an admin or a service. */
  owns(resource: { projectId: string }): boolean {
    return this.isAdmin || this.isService || resource.projectId === this.projectId;
  }
}

/** Resources whose NotFound Neutron words "… does not exist" rather than "… could not be found." */
const DOES_NOT_EXIST = new Set(['SecurityGroup', 'SecurityGroupRule']);

/** Neutron's `<Resource>NotFound`: "Network 1234 could not be found.", "Security group 1234 does not exist". */
export function resourceNotFound(kind: string, id: string) {
  const words = kind.replace(/([a-z])([A-Z])/g, '$1 $2');
  const name = DOES_NOT_EXIST.has(kind) ? `${words.charAt(0)}${words.slice(1).toLowerCase()}` : `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
  return notFound(DOES_NOT_EXIST.has(kind) ? `${name} ${id} does not exist` : `${name} ${id} could not be found.`, `${kind}NotFound`);
}
