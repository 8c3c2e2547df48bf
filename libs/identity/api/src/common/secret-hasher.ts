import { Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane). The native library hashes on libuv's
 * thread pool, so token validation keeps flowing while passwords are checked.
 */
const PARAMETERS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Verified against when the user does not exist, so an unknown user costs as much as a wrong password. */
let decoyHash: Promise<string> | undefined;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, PARAMETERS);
}

export async function verifySecret(storedHash: string | null | undefined, secret: string): Promise<boolean> {
  if (!storedHash) {
    decoyHash ??= hashSecret('decoy-password-for-timing');
    await verify(await decoyHash, secret).catch(() => false);
    return false;
  }
  return verify(storedHash, secret).catch(() => false);
}
