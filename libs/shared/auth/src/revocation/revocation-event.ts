import { type TokenClaims } from '../tokens/token-claims';

/**
 * Keystone's revocation event: every token issued at or before `issued_before` whose attributes
 * match all of the event's non-empty fields is revoked.
 */
export interface RevocationEvent {
  user_id?: string;
  project_id?: string;
  domain_id?: string;
  audit_id?: string;
  audit_chain_id?: string;
  /** Tokens made from this application credential (an Overcast addition: Keystone checks it per request). */
  application_credential_id?: string;
  /** ISO 8601. */
  issued_before: string;
  revoked_at: string;
}

export function matchesToken(event: RevocationEvent, claims: TokenClaims): boolean {
  if (claims.iat * 1000 > Date.parse(event.issued_before)) {
    return false;
  }
  if (event.user_id !== undefined && event.user_id !== claims.sub) {
    return false;
  }
  if (event.project_id !== undefined && event.project_id !== claims.project?.id) {
    return false;
  }
  if (event.domain_id !== undefined) {
    const tokenDomains = [claims.user.domain.id, claims.project?.domain.id, claims.domain?.id];
    if (!tokenDomains.includes(event.domain_id)) {
      return false;
    }
  }
  if (event.audit_id !== undefined && event.audit_id !== claims.audit_ids[0]) {
    return false;
  }
  if (event.audit_chain_id !== undefined && event.audit_chain_id !== claims.audit_ids.at(-1)) {
    return false;
  }
  if (event.application_credential_id !== undefined && event.application_credential_id !== claims.application_credential?.id) {
    return false;
  }
  return true;
}
