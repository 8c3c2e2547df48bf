import { expectNovaError, startTestCompute, type TestCompute } from './compute-harness';

describe('compute API: versions and microversions', () => {
  let compute: TestCompute;

  beforeAll(async () => {
    compute = await startTestCompute();
  });

  afterAll(async () => {
    await compute.close();
  });

  it('discovers v2.1 at / and /v2.1 without a token, with the newest microversion it serves', async () => {
    const root = await compute.api.get('/');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({
      versions: [
        { id: 'v2.0', status: 'SUPPORTED', min_version: '', version: '' },
        { id: 'v2.1', status: 'CURRENT', min_version: '2.1', version: '2.15' },
      ],
    });
    expect((await compute.api.get('/v2')).body).toMatchObject({ version: { id: 'v2.0', status: 'SUPPORTED' } });
    const v21 = await compute.api.get('/v2.1');
    expect(v21.body).toMatchObject({ version: { id: 'v2.1', min_version: '2.1', version: '2.15' } });
  });

  it('answers with the microversion in both headers, takes either header, and refuses what it does not serve', async () => {
    const member = await compute.client({ projectId: 'p1', roles: ['member'] });
    const plain = await member.get('/v2.1/extensions');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('openstack-api-version')).toBe('compute 2.1');
    expect(plain.headers.get('x-openstack-nova-api-version')).toBe('2.1');
    expect(plain.headers.get('vary')).toContain('X-OpenStack-Nova-API-Version');

    expect((await member.get('/v2.1/extensions', { headers: { 'OpenStack-API-Version': 'compute latest' } })).headers.get('openstack-api-version')).toBe('compute 2.15');
    expect((await member.get('/v2.1/extensions', { headers: { 'X-OpenStack-Nova-API-Version': '2.1' } })).status).toBe(200);

    expectNovaError(await member.get('/v2.1/extensions', { headers: { 'OpenStack-API-Version': 'compute 2.999' } }), 406, 'Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.15.');
    expectNovaError(await member.get('/v2.1/extensions', { headers: { 'X-OpenStack-Nova-API-Version': '2.0' } }), 406);
    expectNovaError(await member.get('/v2.1/extensions', { headers: { 'OpenStack-API-Version': 'compute 2.x' } }), 400, 'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.');
    // Another service's version is not ours to judge.
    expect((await member.get('/v2.1/extensions', { headers: { 'OpenStack-API-Version': 'volume 3.99' } })).status).toBe(200);
  });

  it('serves the legacy /v2 paths with the v2.1 resources', async () => {
    const member = await compute.client({ projectId: 'p1', roles: ['member'] });
    const legacy = await member.get('/v2/extensions');
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual((await member.get('/v2.1/extensions')).body);
    expect((await member.get('/v2/flavors')).status).toBe(200);
    expect((await compute.api.get('/v2/flavors')).status).toBe(401);
  });
});
