import { type AuthContext } from '@overcast/shared/auth';

/** Keystone's default for a new resource's domain: the token's domain scope, else `default`. */
export function defaultDomainId(auth: AuthContext): string {
  return auth.domainId ?? 'default';
}
