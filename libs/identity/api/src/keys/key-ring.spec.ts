import { readdir } from 'node:fs/promises';
import { jwtVerify } from 'jose';
import { type TokenClaims } from '@overcast/shared/auth';
import { createTempDir, jwtKeyId, type TempDir } from '@overcast/shared/testing';
import { KeyRing } from './key-ring';

function claims(): TokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'u1', iat: now, exp: now + 3600, audit_ids: ['a1'], methods: ['password'], user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } }, roles: [] };
}

describe('KeyRing', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir('overcast-keys');
  });
  afterEach(() => dir.remove());

  const pemFiles = async () => (await readdir(dir.path)).filter((name) => name.endsWith('.pem')).sort();
  /** Verifies as any service would: the key named by the token's kid, from the ring's key set. */
  const verifies = async (ring: KeyRing, token: string) => {
    const key = await ring.getKey(jwtKeyId(token) as string);
    return key !== undefined && (await jwtVerify(token, key, { algorithms: ['ES256'] }).then(() => true, () => false));
  };

  it('starts with a staged key and a primary one, publishing both but signing with the primary', async () => {
    await KeyRing.initialize(dir.path);
    await KeyRing.initialize(dir.path);
    expect(await pemFiles()).toEqual(['0.pem', '1.pem']);
    const ring = await KeyRing.load(dir.path);
    const token = await ring.sign(claims());
    const kids = ring.jwks().keys.map((key) => key.kid);
    expect(kids).toHaveLength(2);
    expect(kids).toContain(jwtKeyId(token));
    expect(ring.jwks().keys.every((key) => key.alg === 'ES256' && key.use === 'sig' && !('d' in key))).toBe(true);
    expect(await verifies(ring, token)).toBe(true);
  });

  it('refuses to load a directory without a signing key', async () => {
    await expect(KeyRing.load(dir.path)).rejects.toThrow(/no signing key/);
  });

  it('rotates: the staged key signs, a new one is staged, and tokens signed before still verify', async () => {
    await KeyRing.initialize(dir.path);
    const before = await KeyRing.load(dir.path);
    const oldToken = await before.sign(claims());
    const stagedKid = before.jwks().keys.map((key) => key.kid).find((kid) => kid !== jwtKeyId(oldToken));

    expect(await KeyRing.rotate(dir.path, 3)).toEqual({ primary: 2, removed: [] });
    expect(await pemFiles()).toEqual(['0.pem', '1.pem', '2.pem']);
    const after = await KeyRing.load(dir.path);
    const newToken = await after.sign(claims());
    expect(jwtKeyId(newToken)).toBe(stagedKid);
    expect(after.jwks().keys).toHaveLength(3);
    expect(await verifies(after, oldToken)).toBe(true);
    expect(await verifies(after, newToken)).toBe(true);
  });

  it('keeps at most maxActiveKeys, retiring the oldest signing key and the tokens it signed', async () => {
    await KeyRing.initialize(dir.path);
    const first = await (await KeyRing.load(dir.path)).sign(claims());
    await KeyRing.rotate(dir.path, 3);
    const second = await (await KeyRing.load(dir.path)).sign(claims());
    expect(await KeyRing.rotate(dir.path, 3)).toEqual({ primary: 3, removed: [1] });
    expect(await pemFiles()).toEqual(['0.pem', '2.pem', '3.pem']);
    const ring = await KeyRing.load(dir.path);
    expect(await verifies(ring, first)).toBe(false);
    expect(await verifies(ring, second)).toBe(true);
  });

  it('makes the first keys when asked to rotate an empty directory', async () => {
    expect(await KeyRing.rotate(dir.path, 3)).toEqual({ primary: 2, removed: [] });
    expect(await pemFiles()).toEqual(['0.pem', '1.pem', '2.pem']);
  });
});
