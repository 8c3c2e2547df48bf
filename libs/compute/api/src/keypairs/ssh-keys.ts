import { badRequest } from '@overcast/shared/core';
import { createHash, createPublicKey, generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';

/** Nova's InvalidKeypair: 400 with its reason. */
export const invalidKeypair = (reason: string) => badRequest(`Keypair data is invalid: ${reason}`);

/** Reads the SSH wire format's length-prefixed fields (RFC 4251 §5). */
class SshReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  field(): Buffer {
    if (this.offset + 4 > this.data.length) {
      throw new Error('truncated');
    }
    const length = this.data.readUInt32BE(this.offset);
    const end = this.offset + 4 + length;
    if (end > this.data.length) {
      throw new Error('truncated');
    }
    const field = this.data.subarray(this.offset + 4, end);
    this.offset = end;
    return field;
  }

  get done(): boolean {
    return this.offset === this.data.length;
  }
}

/** An mpint as the unsigned big-endian bytes a JWK holds. */
const unsigned = (mpint: Buffer) => mpint.subarray(mpint[0] === 0 ? 1 : 0).toString('base64url');

const EC_CURVES: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
};

/** Checks the fields after the key type: the key must be one OpenSSL takes (DSA's only by shape: OpenSSL no longer imports it from parts). */
function checkKeyFields(type: string, reader: SshReader): void {
  const importJwk = (jwk: JsonWebKey) => createPublicKey({ key: jwk, format: 'jwk' });
  if (type === 'ssh-rsa') {
    // Fields are read in order: the exponent, then the modulus.
    importJwk({ kty: 'RSA', e: unsigned(reader.field()), n: unsigned(reader.field()) });
  } else if (type === 'ssh-dss') {
    for (let part = 0; part < 4; part++) {
      if (reader.field().length === 0) {
        throw new Error('empty DSA parameter');
      }
    }
  } else if (type === 'ssh-ed25519') {
    importJwk({ kty: 'OKP', crv: 'Ed25519', x: reader.field().toString('base64url') });
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curveName = type.slice('ecdsa-sha2-'.length);
    const curve = EC_CURVES[curveName];
    if (!curve || reader.field().toString() !== curveName) {
      throw new Error('curve mismatch');
    }
    // Uncompressed, as OpenSSH writes it: 0x04, then x and y.
    const point = reader.field();
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) {
      throw new Error('bad point');
    }
    importJwk({ kty: 'EC', crv: curve.crv, x: point.subarray(1, 1 + curve.size).toString('base64url'), y: point.subarray(1 + curve.size).toString('base64url') });
  } else {
    throw new Error(`unsupported key type ${type}`);
  }
  if (!reader.done) {
    throw new Error('trailing data');
  }
}

/** MD5 as colon-separated hex pairs, as `ssh-keygen -l -E md5` and Nova show it. */
const md5Fingerprint = (blob: Buffer) => (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');

/**
 * The fingerprint of an OpenSSH public key (`<type> <base64> [comment]`) of a type OpenSSH
 * offers (RSA, DSA, Ed25519, ECDSA); anything else is Nova's InvalidKeypair.
 */
export function sshFingerprint(publicKey: string): string {
  const [type = '', body = ''] = publicKey.trim().split(/[ \t]+/);
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      throw new Error('not base64');
    }
    const blob = Buffer.from(body, 'base64');
    const reader = new SshReader(blob);
    if (reader.field().toString() !== type) {
      throw new Error('key type mismatch');
    }
    checkKeyFields(type, reader);
    return md5Fingerprint(blob);
  } catch {
    throw invalidKeypair('failed to generate fingerprint');
  }
}

/** An SSH string or mpint field. */
function sshField(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** A positive mpint: a leading zero byte when the high bit is set. */
const sshMpint = (base64url: string) => {
  const bytes = Buffer.from(base64url, 'base64url');
  return sshField((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes);
};

export interface GeneratedKeypair {
  publicKey: string;
  /** An SSH key's PEM (PKCS#1), as Nova's paramiko writes it; an x509 one's PKCS#12, base64. */
  privateKey: string;
  fingerprint: string;
}

/** A new 2048-bit RSA key pair, its public half in OpenSSH's format with Nova's comment. */
export async function generateSshKeypair(): Promise<GeneratedKeypair> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshField(Buffer.from('ssh-rsa')), sshMpint(jwk.e ?? ''), sshMpint(jwk.n ?? '')]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    fingerprint: md5Fingerprint(blob),
  };
}
