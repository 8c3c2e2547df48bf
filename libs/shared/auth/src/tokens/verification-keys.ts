import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** Public keys that verify identity's token signatures, by key id. */
export interface VerificationKeys {
  getKey(kid: string): Promise<KeyObject | undefined>;
}

export interface JsonWebKeySet {
  keys: (JsonWebKey & { kid: string })[];
}

/** Where identity publishes its public keys (current, staged and still-valid previous ones). */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * Fetches identity's JWKS and caches it. An unknown key id (a rotation happened) refetches, at most
 * once per `minRefetchMs`, so forged key ids cannot make us hammer identity.
 */
export class RemoteVerificationKeys implements VerificationKeys {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight?: Promise<void>;

  constructor(
    private readonly identityUrl: string,
    private readonly minRefetchMs = 5000,
  ) {}

  async getKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known) {
      return known;
    }
    if (this.inflight === undefined && Date.now() - this.lastFetch >= this.minRefetchMs) {
      this.inflight = this.refresh().finally(() => (this.inflight = undefined));
    }
    // A fetch under way may bring the key: every caller waits for it, not only the one that started it.
    await this.inflight;
    return this.keys.get(kid);
  }

  private async refresh(): Promise<void> {
    this.lastFetch = Date.now();
    const response = await fetch(new URL(JWKS_PATH, this.identityUrl), { signal: AbortSignal.timeout(5000) });
    if (!response.ok) {
      throw new Error(`identity answered ${response.status} for its key set`);
    }
    const set = (await response.json()) as JsonWebKeySet;
    this.keys = new Map(set.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  }
}
