import { type ApiClient, createTempDir } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expectNovaError, startTestCompute, type TestCompute } from './compute-harness';

const run = promisify(execFile);

describe('compute API: keypairs', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let aliceElsewhere: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let keys: Awaited<ReturnType<typeof createTempDir>>;

  /** A key made by OpenSSH itself, with the MD5 fingerprint `ssh-keygen -l -E md5` gives it. */
  let made = 0;
  const opensshKey = async (type: string, bits?: number) => {
    // A new file each time: ssh-keygen would ask before overwriting one.
    const file = join(keys.path, `key-${++made}`);
    await run('ssh-keygen', ['-q', '-t', type, ...(bits === undefined ? [] : ['-b', String(bits)]), '-N', '', '-C', 'someone@somewhere', '-f', file]);
    return { publicKey: (await readFile(`${file}.pub`, 'utf8')).trim(), fingerprint: await md5Of(`${file}.pub`) };
  };
  const md5Of = async (publicKeyFile: string) => /MD5:([0-9a-f:]+)/.exec((await run('ssh-keygen', ['-l', '-E', 'md5', '-f', publicKeyFile])).stdout)?.[1];

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_KEY_PAIRS: '5' });
    keys = await createTempDir('keypairs-test');
    alice = await compute.client({ projectId: 'p1', roles: ['member'], userId: 'alice' });
    aliceElsewhere = await compute.client({ projectId: 'p2', roles: ['member'], userId: 'alice' });
    bob = await compute.client({ projectId: 'p1', roles: ['member'], userId: 'bob' });
    admin = await compute.client({ projectId: 'admin-project', roles: ['admin'], userId: 'root' });
  });

  afterAll(async () => {
    await keys.remove();
    await compute.close();
  });

  it('imports an ed25519 key (200 at 2.1) with the fingerprint ssh-keygen gives it', async () => {
    const key = await opensshKey('ed25519');
    const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'laptop', public_key: key.publicKey } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ keypair: { name: 'laptop', public_key: key.publicKey, fingerprint: key.fingerprint, user_id: 'alice' } });
    expect(key.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });

  it.each([
    ['rsa', 3072],
    ['ecdsa', 256],
    ['ecdsa', 384],
    ['ecdsa', 521],
  ])('imports %s keys (%i bits) too', async (type, bits) => {
    const key = await opensshKey(type, bits);
    const created = await admin.post('/v2.1/os-keypairs', { keypair: { name: `${type}-${bits}`, public_key: key.publicKey } });
    expect(created.status).toBe(200);
    expect(created.body.keypair.fingerprint).toBe(key.fingerprint);
  });

  it('generates an RSA key pair, showing the private key once; OpenSSH reads both halves', async () => {
    const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'generated' } });
    expect(created.status).toBe(200);
    const { private_key: privateKey, public_key: publicKey, fingerprint } = created.body.keypair;
    expect(privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(publicKey).toMatch(/^ssh-rsa AAAA[A-Za-z0-9+/=]+ Generated-by-Nova$/);
    const privateFile = join(keys.path, 'generated');
    await writeFile(privateFile, privateKey);
    await chmod(privateFile, 0o600);
    await writeFile(`${privateFile}.pub`, `${publicKey}\n`);
    expect((await run('ssh-keygen', ['-y', '-f', privateFile])).stdout.trim()).toBe(publicKey.replace(/ Generated-by-Nova$/, ''));
    expect(await md5Of(`${privateFile}.pub`)).toBe(fingerprint);
    expect(await run('ssh-keygen', ['-l', '-f', `${privateFile}.pub`])).toMatchObject({ stdout: expect.stringMatching(/^2048 .*\(RSA\)/) });

    const shown = await alice.get('/v2.1/os-keypairs/generated');
    expect(shown.body.keypair).not.toHaveProperty('private_key');
  });

  it('lists the user’s own keypairs in 2.1’s shape, in every project the user works in', async () => {
    const listed = await alice.get('/v2.1/os-keypairs');
    expect(listed.status).toBe(200);
    expect(listed.body.keypairs.map((entry: { keypair: { name: string } }) => entry.keypair.name)).toEqual(['generated', 'laptop']);
    for (const entry of listed.body.keypairs) {
      expect(Object.keys(entry.keypair).sort()).toEqual(['fingerprint', 'name', 'public_key']);
    }
    expect((await aliceElsewhere.get('/v2.1/os-keypairs')).body).toEqual(listed.body);
    // At 2.1 there are no pages (2.35): limit is not read.
    expect((await alice.get('/v2.1/os-keypairs?limit=1')).body.keypairs).toHaveLength(2);
    expect((await alice.get('/v2.1/os-keypairs?limit=1')).body).not.toHaveProperty('keypairs_links');
  });

  it('shows a keypair with the fields Nova shows', async () => {
    const shown = await alice.get('/v2.1/os-keypairs/laptop');
    expect(shown.status).toBe(200);
    expect(shown.body.keypair).toEqual({
      name: 'laptop',
      public_key: expect.stringMatching(/^ssh-ed25519 /),
      fingerprint: expect.any(String),
      user_id: 'alice',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      deleted: false,
      deleted_at: null,
      id: expect.any(Number),
      updated_at: null,
    });
    // No type before 2.2.
    expect(shown.body.keypair).not.toHaveProperty('type');
  });

  it('keeps keypairs to their user: another user’s is a 404, even for the same name', async () => {
    expectNovaError(await bob.get('/v2.1/os-keypairs/laptop'), 404, 'Keypair laptop not found for user bob');
    expectNovaError(await bob.delete('/v2.1/os-keypairs/laptop'), 404, 'Keypair laptop not found for user bob');
    expect((await bob.get('/v2.1/os-keypairs')).body).toEqual({ keypairs: [] });
    const key = await opensshKey('ed25519');
    expect((await bob.post('/v2.1/os-keypairs', { keypair: { name: 'laptop', public_key: key.publicKey } })).status).toBe(200);
    // user_id is a 2.10 parameter: at 2.1 even an admin sees only their own.
    expectNovaError(await admin.get('/v2.1/os-keypairs/laptop?user_id=alice'), 404, 'Keypair laptop not found for user root');
  });

  it('refuses a name the user already has with 409', async () => {
    expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'laptop' } }), 409, "Key pair 'laptop' already exists.");
  });

  it.each([
    ['no keypair', {}],
    ['keypair not an object', { keypair: 'k' }],
    ['no name', { keypair: {} }],
    ['an empty name', { keypair: { name: '' } }],
    ['a name of 256 characters', { keypair: { name: 'k'.repeat(256) } }],
    ['a name with a leading space', { keypair: { name: ' k' } }],
    ['a name with a slash', { keypair: { name: 'a/b' } }],
    ['a name with a dot (2.92 allows it)', { keypair: { name: 'a.b' } }],
    ['a name with an @ (2.92 allows it)', { keypair: { name: 'a@b' } }],
    ['a name that is a number', { keypair: { name: 5 } }],
    ['a public key that is a number', { keypair: { name: 'k', public_key: 5 } }],
    ['type (2.2)', { keypair: { name: 'k', type: 'ssh' } }],
    ['user_id (2.10)', { keypair: { name: 'k', user_id: 'bob' } }],
    ['an unknown member', { keypair: { name: 'k', color: 'red' } }],
  ])('refuses a create with %s (400)', async (_case, body) => {
    expectNovaError(await alice.post('/v2.1/os-keypairs', body), 400);
  });

  it('accepts the names 2.1 allows: letters, digits, _, - and inner spaces', async () => {
    const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'My key_1-a' } });
    expect(created.status).toBe(200);
    expect((await alice.get('/v2.1/os-keypairs/My%20key_1-a')).body.keypair.name).toBe('My key_1-a');
  });

  it.each([
    ['garbage', 'this is not a key'],
    ['an empty key', ''],
    ['an unknown type', 'ssh-foo AAAAB3NzaC1yc2EAAAADAQABAAABAQ== me'],
    ['a key whose inner type differs', 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBm6Gd2v5m1AC0Sn1S0ARyK5nJAKtX7kQdmrn5mNOZS+ me'],
    ['a truncated key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm6Gd2v5m1AC0Sn1S0ARyK5 me'],
    ['bad base64', 'ssh-ed25519 !!!notbase64!!!'],
    ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----'],
  ])('refuses to import %s (400)', async (_case, publicKey) => {
    expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'bad', public_key: publicKey } }), 400, 'Keypair data is invalid: failed to generate fingerprint');
  });

  it('deletes a keypair (202 at 2.1); then it is gone', async () => {
    const deleted = await alice.delete('/v2.1/os-keypairs/My%20key_1-a');
    expect(deleted.status).toBe(202);
    expectNovaError(await alice.get('/v2.1/os-keypairs/My%20key_1-a'), 404, 'Keypair My key_1-a not found for user alice');
    expectNovaError(await alice.delete('/v2.1/os-keypairs/My%20key_1-a'), 404);
  });

  it('holds each user to the key pair quota (403), counting every project', async () => {
    // alice has 2; the quota is 5.
    for (const name of ['q1', 'q2', 'q3']) {
      expect((await (name === 'q2' ? aliceElsewhere : alice).post('/v2.1/os-keypairs', { keypair: { name, public_key: (await opensshKey('ed25519')).publicKey } })).status).toBe(200);
    }
    expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'q4' } }), 403, 'Quota exceeded, too many key pairs.');
    // Another user's count is their own.
    expect((await bob.post('/v2.1/os-keypairs', { keypair: { name: 'q4', public_key: (await opensshKey('ed25519')).publicKey } })).status).toBe(200);
    expect((await alice.delete('/v2.1/os-keypairs/q1')).status).toBe(202);
    expect((await alice.post('/v2.1/os-keypairs', { keypair: { name: 'q4', public_key: (await opensshKey('ed25519')).publicKey } })).status).toBe(200);
  });

  it('lets a reader list and show their keys too (the policy is about the user)', async () => {
    const reader = await compute.client({ projectId: 'p3', roles: ['reader'], userId: 'alice' });
    expect((await reader.get('/v2.1/os-keypairs/laptop')).status).toBe(200);
  });
});
