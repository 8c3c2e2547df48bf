import { runTool } from '@overcast/shared/qemu';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GeneratedKeypair, invalidKeypair } from './ssh-keys';

/** SHA-1 of an x509 certificate (PEM), as Nova fingerprints x509 keypairs (2.2). */
export function x509Fingerprint(certificate: string): string {
  try {
    return new X509Certificate(certificate).fingerprint.toLowerCase();
  } catch (error) {
    throw invalidKeypair(`failed to generate X509 fingerprint. Error message: ${(error as Error).message}`);
  }
}

/**
 * A new x509 keypair as Nova makes one (`crypto.generate_winrm_x509_cert`), with openssl as Nova
 * runs it: a 2048-bit RSA key and a self-signed certificate for `CN=<user>`, valid ten years, for
 * client authentication as the Windows user `<user>@localhost` (WinRM). The private key is the
 * key and certificate in PKCS#12, base64, with an empty password.
 */
export async function generateX509Keypair(userId: string): Promise<GeneratedKeypair> {
  const failure = 'could not generate an x509 keypair';
  // It goes into openssl's subject and config: identity's ids are plain, anything else is refused.
  if (!/^[A-Za-z0-9_.-]+$/.test(userId)) {
    throw invalidKeypair(`${failure}: the user id ${userId} cannot name a certificate`);
  }
  const directory = await mkdtemp(join(tmpdir(), 'overcast-x509-'));
  const file = (name: string) => join(directory, name);
  try {
    const extensions = `[req]\ndistinguished_name = name\n[name]\n[client]\nextendedKeyUsage = clientAuth\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${userId}@localhost\n`;
    await writeFile(file('openssl.cnf'), extensions, { mode: 0o600 });
    const request = ['req', '-x509', '-nodes', '-days', '3650', '-newkey', 'rsa:2048', '-subj', `/CN=${userId}`, '-config', file('openssl.cnf'), '-extensions', 'client'];
    await runTool('openssl', [...request, '-keyout', file('key.pem'), '-out', file('cert.pem')], failure);
    await runTool('openssl', ['pkcs12', '-export', '-inkey', file('key.pem'), '-in', file('cert.pem'), '-out', file('key.p12'), '-passout', 'pass:'], failure);
    const certificate = await readFile(file('cert.pem'), 'utf8');
    return { publicKey: certificate, privateKey: (await readFile(file('key.p12'))).toString('base64'), fingerprint: x509Fingerprint(certificate) };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
