import { decodeProtectedHeader, jwtVerify } from 'jose';
import { type RevocationList } from '../revocation/revocation-list';
import { type TokenClaims } from './token-claims';
import { type VerificationKeys } from './verification-keys';

/**
 * Checks a token's signature, expiry and revocation; undefined for any token that does not pass.
 * (Requests' own X-Auth-Token goes through the passport strategy; this serves tokens named in a
 * request, like Keystone's X-Subject-Token.)
 */
export async function verifyToken(rawToken: string, keys: VerificationKeys, revocations: RevocationList): Promise<TokenClaims | undefined> {
  try {
    const { kid } = decodeProtectedHeader(rawToken);
    const key = kid ? await keys.getKey(kid) : undefined;
    if (!key) {
      return undefined;
    }
    const { payload } = await jwtVerify(rawToken, key, { algorithms: ['ES256'] });
    const claims = payload as unknown as TokenClaims;
    return revocations.isRevoked(claims) ? undefined : claims;
  } catch {
    return undefined;
  }
}
