import { type ApiClient, eventually, jwtKeyId } from '@overcast/shared/testing';
import { KeyRing } from '../src';
import { projectMember } from './fixtures';
import { expectKeystoneError } from './keystone';
import { startTestIdentity, type TestIdentity } from './test-identity';

describe('token signing key rotation on a running identity', () => {
  let identity: TestIdentity;
  let admin: ApiClient;

  beforeAll(async () => {
    identity = await startTestIdentity();
    admin = identity.api.as(await identity.adminToken());
  });
  afterAll(() => identity?.close());

  const publishedKids = async () => ((await identity.api.get('/.well-known/jwks.json')).body.keys as { kid: string }[]).map((key) => key.kid).sort();
  /** What `overcast identity rotate-keys` does, then the key ids identity must publish once it has noticed. */
  const rotateKeys = async () => {
    await KeyRing.rotate(identity.keyDir, identity.settings.maxActiveKeys);
    const expected = (await KeyRing.load(identity.keyDir)).jwks().keys.map((key) => key.kid).sort();
    expect(await eventually(publishedKids, (kids) => JSON.stringify(kids) === JSON.stringify(expected))).toEqual(expected);
    return expected;
  };

  it('keeps tokens signed before a rotation valid, signs new ones with the key it had published as staged, and drops the oldest key at the limit', async () => {
    const { user, project, password } = await projectMember(admin);
    const issue = () => identity.passwordToken({ id: user.id }, password, { project: { id: project.id } });
    // The user validates their own tokens: the cached admin token is signed by the first key too.
    const validate = async (token: string, caller = token) => identity.api.get('/v3/auth/tokens', { token: caller, headers: { 'X-Subject-Token': token } });

    const before = await issue();
    const firstKid = jwtKeyId(before) as string;
    const [staged, ...others] = (await publishedKids()).filter((kid) => kid !== firstKid);
    expect(others).toEqual([]);

    const afterFirst = await rotateKeys();
    expect(afterFirst).toHaveLength(3);
    expect(afterFirst).toEqual(expect.arrayContaining([firstKid, staged]));
    const after = await issue();
    expect(jwtKeyId(after)).toBe(staged);
    for (const token of [before, after]) {
      expect((await validate(token)).status).toBe(200);
      expect((await identity.api.get(`/v3/projects/${project.id}`, { token })).status).toBe(200);
    }

    // Three active keys at most: the next rotation retires the first one, and its tokens with it.
    const afterSecond = await rotateKeys();
    expect(afterSecond).toHaveLength(3);
    expect(afterSecond).not.toContain(firstKid);
    const fresh = await issue();
    expectKeystoneError(await validate(before, fresh), 404);
    expectKeystoneError(await identity.api.get(`/v3/projects/${project.id}`, { token: before }), 401);
    expect((await validate(after, fresh)).status).toBe(200);
  });
});
