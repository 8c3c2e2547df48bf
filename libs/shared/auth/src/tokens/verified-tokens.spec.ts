import { generateKeyPairSync } from 'node:crypto';
import { type TokenClaims } from './token-claims';
import { VerifiedTokens } from './verified-tokens';
import { type VerificationKeys } from './verification-keys';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const knownKeys = new Set(['k1']);
const keys: VerificationKeys = { getKey: async (kid) => (knownKeys.has(kid) ? publicKey : undefined) };

function claims(expiresInSeconds: number): TokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'u1', iat: now, exp: now + expiresInSeconds, audit_ids: ['a'], methods: ['password'], user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } }, roles: [] };
}

describe('VerifiedTokens', () => {
  beforeEach(() => knownKeys.add('k1'));

  it('recalls a remembered token and nothing else', async () => {
    const tokens = new VerifiedTokens(10);
    const remembered = claims(3600);
    tokens.remember('token-a', 'k1', remembered);
    expect(await tokens.recall('token-a', keys)).toBe(remembered);
    expect(await tokens.recall('token-b', keys)).toBeUndefined();
  });

  it('forgets a token once it has expired', async () => {
    const tokens = new VerifiedTokens(10);
    tokens.remember('token-a', 'k1', claims(-1));
    expect(await tokens.recall('token-a', keys)).toBeUndefined();
  });

  it('forgets a token whose signing key is no longer published', async () => {
    const tokens = new VerifiedTokens(10);
    tokens.remember('token-a', 'k1', claims(3600));
    knownKeys.delete('k1');
    expect(await tokens.recall('token-a', keys)).toBeUndefined();
  });

  it('holds at most its limit, dropping the oldest first', async () => {
    const tokens = new VerifiedTokens(2);
    for (const token of ['token-a', 'token-b', 'token-c']) {
      tokens.remember(token, 'k1', claims(3600));
    }
    expect(await tokens.recall('token-a', keys)).toBeUndefined();
    expect(await tokens.recall('token-b', keys)).toBeDefined();
    expect(await tokens.recall('token-c', keys)).toBeDefined();
  });
});
