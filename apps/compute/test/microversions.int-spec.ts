import { type ApiClient, createTempDir } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const run = promisify(execFile);

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };

/** The request options that ask for a microversion. */
const at = (version: string) => ({ headers: { 'OpenStack-API-Version': `compute ${version}` } });

/** Each microversion's change, at the version before it and at its own. */
describe('compute API: the changes of each microversion', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let files: Awaited<ReturnType<typeof createTempDir>>;

  /** What `openssl` says of a certificate (PEM) and of a PKCS#12 bundle (base64) opened with the empty password. */
  const openssl = async (args: string[], input: { name: string; data: string | Buffer }) => {
    const file = join(files.path, input.name);
    await writeFile(file, input.data);
    return (await run('openssl', [...args, '-in', file])).stdout;
  };

  beforeAll(async () => {
    compute = await startTestCompute();
    alice = await compute.client(ALICE);
    files = await createTempDir('microversions-test');
  });

  afterAll(async () => {
    await files?.remove();
    await compute?.close();
  });

  describe('2.2: keypair types', () => {
    it('answers a create with 201 and a delete with 204, showing the type everywhere (ssh by default)', async () => {
      const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'typed' } }, at('2.2'));
      expect(created.status).toBe(201);
      expect(created.body.keypair).toMatchObject({ name: 'typed', type: 'ssh', user_id: 'alice', private_key: expect.stringMatching(/^-----BEGIN RSA PRIVATE KEY-----\n/) });
      expect((await alice.get('/v2.1/os-keypairs/typed', at('2.2'))).body.keypair.type).toBe('ssh');
      expect((await alice.get('/v2.1/os-keypairs', at('2.2'))).body.keypairs).toEqual([{ keypair: { name: 'typed', public_key: expect.any(String), fingerprint: expect.any(String), type: 'ssh' } }]);
      // 2.1 shows no type.
      expect((await alice.get('/v2.1/os-keypairs/typed', at('2.1'))).body.keypair).not.toHaveProperty('type');
      expect((await alice.delete('/v2.1/os-keypairs/typed', at('2.2'))).status).toBe(204);
    });

    it('generates an x509 keypair as Nova does: a self-signed client certificate for the user, its key in PKCS#12 with no password', async () => {
      const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'winrm', type: 'x509' } }, at('2.2'));
      expect(created.status).toBe(201);
      const { public_key: certificate, private_key: bundle, fingerprint, type } = created.body.keypair;
      expect(type).toBe('x509');
      const text = await openssl(['x509', '-noout', '-subject', '-issuer', '-ext', 'extendedKeyUsage,subjectAltName', '-fingerprint', '-sha1'], { name: 'winrm.pem', data: certificate });
      expect(text).toContain('subject=CN = alice\nissuer=CN = alice\n');
      expect(text).toContain('TLS Web Client Authentication');
      expect(text).toContain('othername: UPN::alice@localhost');
      expect(`sha1 Fingerprint=${fingerprint.toUpperCase()}`).toBe(/sha1 Fingerprint=\S+/.exec(text)?.[0]);

      // The bundle holds the certificate and its key, under a MAC openssl verifies with the empty password.
      const opened = await openssl(['pkcs12', '-passin', 'pass:', '-nodes'], { name: 'winrm.p12', data: Buffer.from(bundle, 'base64') });
      const modulus = async (kind: 'x509' | 'rsa', pem: string) => openssl([kind, '-noout', '-modulus'], { name: `modulus.${kind}`, data: pem });
      expect(await modulus('rsa', /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(opened)?.[0] ?? '')).toBe(await modulus('x509', certificate));
      expect(opened).toContain(certificate.trim());

      const shown = (await alice.get('/v2.1/os-keypairs/winrm', at('2.2'))).body.keypair;
      expect(shown).toMatchObject({ type: 'x509', public_key: certificate, fingerprint });
      expect(shown).not.toHaveProperty('private_key');
    });

    it('imports an x509 certificate, fingerprinted by its SHA-1, and refuses one that is not', async () => {
      const generated = (await alice.post('/v2.1/os-keypairs', { keypair: { name: 'source', type: 'x509' } }, at('2.2'))).body.keypair;
      const imported = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'imported', type: 'x509', public_key: generated.public_key } }, at('2.2'));
      expect(imported.status).toBe(201);
      expect(imported.body.keypair).toEqual({ name: 'imported', type: 'x509', public_key: generated.public_key, fingerprint: generated.fingerprint, user_id: 'alice' });
      expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'bad', type: 'x509', public_key: 'not a certificate' } }, at('2.2')), 400, /^Keypair data is invalid: failed to generate X509 fingerprint/);
      expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'bad', type: 'rsa' } }, at('2.2')), 400);
    });
  });
});
