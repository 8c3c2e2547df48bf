import { hashSecret, verifySecret } from './secret-hasher';

describe('secret hasher', () => {
  it('hashes with argon2id and a salt of its own each time', async () => {
    const [first, second] = [await hashSecret('s3cret'), await hashSecret('s3cret')];
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toEqual(second);
    expect(first).not.toContain('s3cret');
  });

  it('accepts the secret and nothing else', async () => {
    const stored = await hashSecret('s3cret');
    expect(await verifySecret(stored, 's3cret')).toBe(true);
    expect(await verifySecret(stored, 'S3cret')).toBe(false);
    expect(await verifySecret(stored, '')).toBe(false);
  });

  it('refuses, without throwing, when there is no hash or it is not one', async () => {
    expect(await verifySecret(null, 's3cret')).toBe(false);
    expect(await verifySecret(undefined, 's3cret')).toBe(false);
    expect(await verifySecret('not-a-phc-string', 's3cret')).toBe(false);
  });
});
