import { OpenStackError } from '@overcast/shared/core';
import { nextLinks, novaPage } from './nova-list';

describe('novaPage', () => {
  it('reads limit and marker; no limit, 0 or too large is the maximum', () => {
    expect(novaPage({}, 1000)).toEqual({ limit: 1000 });
    expect(novaPage({ limit: '0' }, 1000)).toEqual({ limit: 1000 });
    expect(novaPage({ limit: '5000' }, 1000)).toEqual({ limit: 1000 });
    expect(novaPage({ limit: ['20', '30'], marker: 'm1' }, 1000)).toEqual({ limit: 20, marker: 'm1' });
  });

  it.each(['-1', 'abc', '1.5', ''])('refuses limit=%j with a 400', (limit) => {
    expect(() => novaPage({ limit }, 1000)).toThrow(OpenStackError);
  });
});

describe('nextLinks', () => {
  it('links the next page of a full one: the query sorted, one value each, the marker last', () => {
    expect(nextLinks('http://h/v2.1/flavors', { sort_key: 'name', limit: '2', name: ['a', 'b'] }, { limit: 2 }, ['x', 'y'])).toEqual([
      { rel: 'next', href: 'http://h/v2.1/flavors?limit=2&name=b&sort_key=name&marker=y' },
    ]);
  });

  it('replaces a marker where the query had it', () => {
    expect(nextLinks('http://h/v2.1/flavors', { marker: 'a', limit: '1', sort_dir: 'asc' }, { limit: 1, marker: 'a' }, ['b'])[0]?.href).toBe('http://h/v2.1/flavors?limit=1&marker=b&sort_dir=asc');
  });

  it('does not link from a page that is not full, or empty', () => {
    expect(nextLinks('http://h/x', {}, { limit: 3 }, ['a', 'b'])).toEqual([]);
    expect(nextLinks('http://h/x', {}, { limit: 3 }, [])).toEqual([]);
  });
});
