import { type Request } from 'express';
import { versionEntry } from './version-documents';

const request = { protocol: 'http', get: (name: string) => (name === 'host' ? 'cloud.example:8774' : undefined) } as unknown as Request;

describe('versionEntry', () => {
  it("writes Nova's entry: microversion range, links against the caller's host, media type", () => {
    const entry = versionEntry(request, { id: 'v2.1', status: 'CURRENT', version: '2.95', minVersion: '2.1', updated: '2013-07-23T11:33:21Z', path: '/v2.1/', describedBy: true, mediaType: 'application/vnd.openstack.compute+json;version=2.1' });
    expect(JSON.stringify(entry)).toBe(
      JSON.stringify({
        id: 'v2.1',
        status: 'CURRENT',
        version: '2.95',
        min_version: '2.1',
        updated: '2013-07-23T11:33:21Z',
        links: [
          { rel: 'self', href: 'http://cloud.example:8774/v2.1/' },
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      }),
    );
  });

  it("writes Neutron's and Glance's bare entry: id, status and the self link only", () => {
    expect(versionEntry(request, { id: 'v2.0', status: 'CURRENT', path: '/v2.0/' })).toEqual({ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: 'http://cloud.example:8774/v2.0/' }] });
  });
});
