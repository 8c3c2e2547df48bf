import { type TokenClaims } from './token-claims';
import { type VerificationKeys } from './verification-keys';

/**
 * Tokens whose signature already checked out, with their claims, oldest first. A token is
 * presented again and again while it lives; this spares each repeat the ECDSA verification.
 * A recalled token is still checked for expiry and for its signing key being known; revocation
 * is the caller's check, on every use.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { kid: string; claims: TokenClaims }>();

  constructor(private readonly maxEntries: number) {}

  /** The claims of a token verified before, if it has not expired and its key still verifies. */
  async recall(rawToken: string, keys: VerificationKeys): Promise<TokenClaims | undefined> {
    const entry = this.entries.get(rawToken);
    if (!entry || entry.claims.exp * 1000 <= Date.now() || (await keys.getKey(entry.kid)) === undefined) {
      return undefined;
    }
    return entry.claims;
  }

  remember(rawToken: string, kid: string, claims: TokenClaims): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
      }
    }
    this.entries.set(rawToken, { kid, claims });
  }
}

/** One per process: in the all-in-one every service sees the same tokens. About 2 KB a token. */
export const verifiedTokens = new VerifiedTokens(4096);
