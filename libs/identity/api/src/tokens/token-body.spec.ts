import { type TokenClaims } from '@overcast/shared/auth';
import { type CatalogEntry } from '../catalog/catalog.service';
import { catalogFor, tokenBody } from './token-body';

const CATALOG: CatalogEntry[] = [
  { id: 's1', type: 'identity', name: 'keystone', endpoints: [{ id: 'e1', interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: 'http://id.test/v3' }] },
  {
    id: 's2',
    type: 'volumev3',
    name: 'cinderv3',
    endpoints: [
      { id: 'e2', interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: 'http://vol.test/v3/$(project_id)s' },
      { id: 'e3', interface: 'internal', region: 'RegionOne', region_id: 'RegionOne', url: 'http://vol.internal/v3/%(tenant_id)s/x' },
    ],
  },
];

const user = { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } };
const base: TokenClaims = { sub: 'u1', iat: 1_700_000_000, exp: 1_700_003_600, audit_ids: ['a1'], methods: ['password'], user, roles: [{ id: 'r1', name: 'member' }] };

describe('catalogFor', () => {
  it('puts the project id into endpoint URLs that name it, both ways of naming it', () => {
    const urls = catalogFor(CATALOG, 'p1').flatMap((service) => service.endpoints.map((endpoint) => endpoint.url));
    expect(urls).toEqual(['http://id.test/v3', 'http://vol.test/v3/p1', 'http://vol.internal/v3/p1/x']);
  });

  it('leaves out the endpoints that need a project when there is none', () => {
    const catalog = catalogFor(CATALOG, undefined);
    expect(catalog.map((service) => service.endpoints.map((endpoint) => endpoint.id))).toEqual([['e1'], []]);
  });
});

describe('tokenBody', () => {
  it('renders a project token as Keystone does, times with microseconds', () => {
    const claims: TokenClaims = { ...base, project: { id: 'p1', name: 'demo', domain: { id: 'default', name: 'Default' } }, is_admin_project: false };
    expect(tokenBody(claims, CATALOG)).toEqual({
      token: {
        methods: ['password'],
        user: { ...user, password_expires_at: null },
        audit_ids: ['a1'],
        expires_at: '2023-11-14T23:13:20.000000Z',
        issued_at: '2023-11-14T22:13:20.000000Z',
        project: claims.project,
        is_domain: false,
        is_admin_project: false,
        roles: [{ id: 'r1', name: 'member' }],
        catalog: catalogFor(CATALOG, 'p1'),
      },
    });
  });

  it('renders domain and system scopes, and leaves the catalog out when asked', () => {
    expect(tokenBody({ ...base, domain: { id: 'd1', name: 'D' } }, CATALOG).token).toMatchObject({ domain: { id: 'd1', name: 'D' }, roles: base.roles, catalog: catalogFor(CATALOG, undefined) });
    const system = tokenBody({ ...base, system: 'all' }, undefined).token;
    expect(system).toMatchObject({ system: { all: true }, roles: base.roles });
    expect(system).not.toHaveProperty('catalog');
  });

  it('gives an unscoped token neither roles nor catalog', () => {
    expect(Object.keys(tokenBody({ ...base, roles: [] }, CATALOG).token).sort()).toEqual(['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
  });

  it('names the application credential a token came from', () => {
    const credential = { id: 'ac1', name: 'ci', restricted: true };
    expect(tokenBody({ ...base, project: { id: 'p1', name: 'demo', domain: user.domain }, application_credential: credential }, undefined).token['application_credential']).toEqual(credential);
  });
});
