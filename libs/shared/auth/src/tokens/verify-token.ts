import { decodeProtectedHeader, jwtVerify } from 'jose';
import { type RevocationList } from '../revocation/revocation-list';
import { type TokenClaims } from './token-claims';
import { verifiedTokens } from './verified-tokens';
import { type VerificationKeys } from './verification-keys';

async function verifySignature(rawToken: string, keys: VerificationKeys): Promise<TokenClaims | undefined> {
  const { kid } = decodeProtectedHeader(rawToken);
  const key = kid ? await keys.getKey(kid) : undefined;
  if (!kid || !key) {
    return undefined;
  }
  const { payload } = await jwtVerify(rawToken, key, { algorithms: ['ES256'] });
  const claims = payload as unknown as TokenClaims;
  verifiedTokens.remember(rawToken, kid, claims);
  return claims;
}

/**
 * Checks a token's signature, expiry and revocation; undefined for any token that does not pass.
 * (Requests' own X-Auth-Token goes through the passport strategy; this serves tokens named in a
 * request, like Keystone's X-Subject-Token.)
 */
export async function verifyToken(rawToken: string, keys: VerificationKeys, revocations: RevocationList): Promise<TokenClaims | undefined> {
  try {
    const claims = (await verifiedTokens.recall(rawToken, keys)) ?? (await verifySignature(rawToken, keys));
    return claims && !revocations.isRevoked(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}
