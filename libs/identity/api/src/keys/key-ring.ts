import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type JsonWebKeySet, type TokenClaims, type VerificationKeys } from '@overcast/shared/auth';

const ALGORITHM = 'ES256';
const STAGED = 0;

interface SigningKey {
  index: number;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

async function readKey(dir: string, index: number): Promise<SigningKey> {
  const pem = await readFile(join(dir, `${index}.pem`), 'utf8');
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  return { index, kid: await calculateJwkThumbprint(jwk), privateKey, publicKey, jwk };
}

async function writeNewKey(dir: string, index: number): Promise<void> {
  // P-256 is the curve of ES256.
  const { privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
  const temporary = join(dir, `.${index}.pem.tmp`);
  await writeFile(temporary, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await rename(temporary, join(dir, `${index}.pem`));
}

async function keyIndexes(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => /^(\d+)\.pem$/.exec(name)?.[1])
    .filter((index): index is string => index !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Token signing keys in a directory, rotated like Keystone's fernet keys: `0.pem` is staged (published
 * but not yet signing), the highest number signs, the rest only verify. Publishing the staged key
 * before it signs lets every service know it before the first token signed with it arrives.
 */
export class KeyRing implements VerificationKeys {
  private constructor(
    private readonly keys: SigningKey[],
    private readonly byKid: Map<string, SigningKey>,
  ) {}

  /** Creates the first staged and primary keys when the directory is empty. */
  static async initialize(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const indexes = await keyIndexes(dir);
    if (!indexes.includes(STAGED)) {
      await writeNewKey(dir, STAGED);
    }
    if (!indexes.some((index) => index > STAGED)) {
      await writeNewKey(dir, 1);
    }
  }

  static async load(dir: string): Promise<KeyRing> {
    const keys = await Promise.all((await keyIndexes(dir)).map((index) => readKey(dir, index)));
    if (!keys.some((key) => key.index > STAGED)) {
      throw new Error(`no signing key in ${dir}: run "overcast bootstrap" or "overcast identity rotate-keys"`);
    }
    return new KeyRing(keys, new Map(keys.map((key) => [key.kid, key])));
  }

  /** Staged becomes primary, a new key is staged, and the oldest beyond `maxActiveKeys` are removed. */
  static async rotate(dir: string, maxActiveKeys: number): Promise<{ primary: number; removed: number[] }> {
    await KeyRing.initialize(dir);
    const indexes = await keyIndexes(dir);
    const primary = (indexes.at(-1) ?? STAGED) + 1;
    await rename(join(dir, `${STAGED}.pem`), join(dir, `${primary}.pem`));
    await writeNewKey(dir, STAGED);
    const signing = [...indexes.filter((index) => index > STAGED), primary];
    const removed = signing.slice(0, Math.max(0, signing.length - (maxActiveKeys - 1)));
    await Promise.all(removed.map((index) => rm(join(dir, `${index}.pem`))));
    return { primary, removed };
  }

  private get primary(): SigningKey {
    return this.keys[this.keys.length - 1] as SigningKey;
  }

  sign(claims: TokenClaims): Promise<string> {
    const { iat, exp, sub, ...rest } = claims;
    return new SignJWT(rest)
      .setProtectedHeader({ alg: ALGORITHM, kid: this.primary.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.primary.privateKey);
  }

  async getKey(kid: string): Promise<KeyObject | undefined> {
    return this.byKid.get(kid)?.publicKey;
  }

  jwks(): JsonWebKeySet {
    return { keys: this.keys.map((key) => ({ ...key.jwk, kid: key.kid, alg: ALGORITHM, use: 'sig' }) as JsonWebKeySet['keys'][number]) };
  }
}
