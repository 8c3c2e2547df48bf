import { type PolicyCredentials } from './policy';
import { type TokenClaims } from './tokens/token-claims';

/** Who is calling, as the verified token says; `request.user` on every authenticated request. */
export class AuthContext {
  readonly roles: string[];

  constructor(
    readonly claims: TokenClaims,
    readonly rawToken: string,
  ) {
    this.roles = claims.roles.map((role) => role.name);
  }

  get userId(): string {
    return this.claims.sub;
  }

  get projectId(): string | undefined {
    return this.claims.project?.id;
  }

  get domainId(): string | undefined {
    return this.claims.domain?.id;
  }

  get isSystemScoped(): boolean {
    return this.claims.system === 'all';
  }

  /** The credentials dict oslo.policy rules are written against. */
  policyCredentials(): PolicyCredentials {
    return {
      user_id: this.claims.sub,
      user_domain_id: this.claims.user.domain.id,
      project_id: this.claims.project?.id,
      project_domain_id: this.claims.project?.domain.id,
      domain_id: this.claims.domain?.id,
      system_scope: this.claims.system,
      roles: this.roles,
      is_admin_project: this.claims.is_admin_project ?? false,
    };
  }
}
