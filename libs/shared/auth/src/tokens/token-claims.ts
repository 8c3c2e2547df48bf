/**
 * What an Overcast token carries. Identity signs it (ES256 JWT); every service verifies it locally
 * with identity's public keys, so everything a policy check needs is inside.
 */
export interface NamedRef {
  id: string;
  name: string;
}

export interface ScopedRef extends NamedRef {
  domain: NamedRef;
}

export interface TokenClaims {
  /** User id (JWT subject). */
  sub: string;
  /** Issued at / expires, seconds since the epoch. */
  iat: number;
  exp: number;
  /** Keystone's audit ids: [this token's, the original token's] when rescoped. */
  audit_ids: string[];
  methods: string[];
  user: ScopedRef;
  project?: ScopedRef;
  domain?: NamedRef;
  system?: 'all';
  roles: NamedRef[];
  is_admin_project?: boolean;
  application_credential?: { id: string; name: string; restricted: boolean };
}

/** Token issue and expiry times with microseconds, as Keystone prints them. */
export function keystoneTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}
