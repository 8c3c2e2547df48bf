import { type TokenClaims } from '../tokens/token-claims';
import { type RevocationEvent } from './revocation-event';
import { RevocationList } from './revocation-list';

const issuedAt = Math.floor(Date.now() / 1000) - 60;
const claims: TokenClaims = {
  sub: 'u1',
  iat: issuedAt,
  exp: issuedAt + 3600,
  audit_ids: ['audit-new', 'audit-original'],
  methods: ['token'],
  user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
  project: { id: 'p1', name: 'demo', domain: { id: 'd2', name: 'Other' } },
  roles: [{ id: 'r1', name: 'member' }],
};

function event(fields: Partial<RevocationEvent>, issuedBefore = new Date()): RevocationEvent {
  return { issued_before: issuedBefore.toISOString(), revoked_at: new Date().toISOString(), ...fields };
}

describe('RevocationList', () => {
  it.each<[string, Partial<RevocationEvent>, boolean]>([
    ['the user', { user_id: 'u1' }, true],
    ['another user', { user_id: 'u2' }, false],
    ['the user on the project', { user_id: 'u1', project_id: 'p1' }, true],
    ['the user on another project', { user_id: 'u1', project_id: 'p2' }, false],
    ['the project', { project_id: 'p1' }, true],
    ["the project's domain", { domain_id: 'd2' }, true],
    ["the user's domain", { domain_id: 'default' }, true],
    ['an unrelated domain', { domain_id: 'd3' }, false],
    ['this token', { audit_id: 'audit-new' }, true],
    ['the token it was rescoped from', { audit_chain_id: 'audit-original' }, true],
    ['only the original token itself', { audit_id: 'audit-original' }, false],
    ['an application credential it was not made from', { application_credential_id: 'ac1' }, false],
  ])('an event for %s revokes the token: %s', (_name, fields, revoked) => {
    const list = new RevocationList(3600);
    list.add(event(fields));
    expect(list.isRevoked(claims)).toBe(revoked);
  });

  it('spares tokens issued after the event', () => {
    const list = new RevocationList(3600);
    list.add(event({ user_id: 'u1' }, new Date((issuedAt - 1) * 1000)));
    expect(list.isRevoked(claims)).toBe(false);
  });

  it('forgets events older than the longest token lifetime', () => {
    const list = new RevocationList(3600);
    list.merge([event({ user_id: 'u1' }, new Date(Date.now() - 7200_000)), event({ user_id: 'u2' })]);
    expect(list.size).toBe(1);
  });

  it('holds an event once, whether it came from the bus, the loaded list or both', () => {
    const list = new RevocationList(3600);
    const revocation = event({ audit_id: 'audit-new' });
    list.add(revocation);
    list.merge([{ ...revocation }, event({ user_id: 'u2' })]);
    list.merge([{ ...revocation }]);
    expect(list.size).toBe(2);
  });

  it("is not loaded until identity's list has been merged, even if bus events arrived", async () => {
    const list = new RevocationList(3600);
    list.add(event({ user_id: 'u2' }));
    expect(list.isLoaded).toBe(false);
    let announced = false;
    void list.whenLoaded.then(() => (announced = true));
    await Promise.resolve();
    expect(announced).toBe(false);
    list.merge([]);
    expect(list.isLoaded).toBe(true);
    await list.whenLoaded;
    expect(announced).toBe(true);
  });
});
