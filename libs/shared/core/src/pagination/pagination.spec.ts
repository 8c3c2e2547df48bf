import { OpenStackError } from '../errors/openstack-error';
import { nextPageLink, parsePageRequest, sortByKeys } from './pagination';

function badRequestOf(work: () => unknown): OpenStackError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError);
    expect((error as OpenStackError).status).toBe(400);
    return error as OpenStackError;
  }
  throw new Error('expected a 400');
}

describe('parsePageRequest', () => {
  it('reads nothing from a query without limit or marker', () => {
    expect(parsePageRequest({}, 1000)).toEqual({});
    expect(parsePageRequest({ name: 'web' }, 1000)).toEqual({});
  });

  it('reads limit and marker', () => {
    expect(parsePageRequest({ limit: '20', marker: '0b7f5a4e-6c7a-4b7d-9a53-0c1b3b2b6f6e' }, 1000)).toEqual({ limit: 20, marker: '0b7f5a4e-6c7a-4b7d-9a53-0c1b3b2b6f6e' });
    expect(parsePageRequest({ limit: '0' }, 1000)).toEqual({ limit: 0 });
    expect(parsePageRequest({ limit: 5 }, 1000)).toEqual({ limit: 5 });
  });

  it('caps limit at the service’s maximum, as max_limit does', () => {
    expect(parsePageRequest({ limit: '5000' }, 1000)).toEqual({ limit: 1000 });
    expect(parsePageRequest({ limit: '99999999999999999999999' }, 1000)).toEqual({ limit: 1000 });
  });

  it.each([['abc'], ['-1'], ['1.5'], [''], [' '], ['0x10'], ['1e2'], ['10abc'], [['1', '2']], [{ a: '1' }], [-3], [2.5]])('refuses limit %j with a 400 that says why', (limit) => {
    expect(badRequestOf(() => parsePageRequest({ limit }, 1000)).message).toBe(`limit must be a non-negative integer, not ${JSON.stringify(limit)}.`);
  });

  it.each([[''], [['a', 'b']], [5]])('refuses marker %j with a 400', (marker) => {
    expect(badRequestOf(() => parsePageRequest({ marker }, 1000)).message).toBe('marker must be a resource id.');
  });
});

describe('nextPageLink', () => {
  const items = (...ids: string[]) => ids.map((id) => ({ id }));
  const base = 'http://cloud.example:8774/v2.1/servers';

  it('links to the next page of a full page: same query, marker set to the last id', () => {
    const links = nextPageLink(base, { limit: '2', name: 'web', marker: 'a' }, items('b', 'c'), 2);
    expect(links).toHaveLength(1);
    expect(links[0]?.rel).toBe('next');
    const next = new URL(links[0]?.href ?? '');
    expect(`${next.origin}${next.pathname}`).toBe(base);
    expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '2', name: 'web', marker: 'c' });
  });

  it('keeps repeated parameters and encodes what needs it', () => {
    const [link] = nextPageLink(base, { limit: '1', status: ['ACTIVE', 'ERROR'], name: 'a b&c' }, items('x/y'), 1);
    const next = new URL(link?.href ?? '');
    expect(next.searchParams.getAll('status')).toEqual(['ACTIVE', 'ERROR']);
    expect(next.searchParams.get('name')).toBe('a b&c');
    expect(next.searchParams.get('marker')).toBe('x/y');
  });

  it('has no next link for a short or empty page, or without a limit', () => {
    expect(nextPageLink(base, { limit: '3' }, items('a', 'b'), 3)).toEqual([]);
    expect(nextPageLink(base, { limit: '3' }, [], 3)).toEqual([]);
    expect(nextPageLink(base, {}, items('a', 'b'), undefined)).toEqual([]);
    expect(nextPageLink(base, { limit: '0' }, [], 0)).toEqual([]);
  });

  it('walks a collection page by page to its end', () => {
    const all = items('1', '2', '3', '4', '5');
    const seen: string[] = [];
    let query: Record<string, unknown> = { limit: '2' };
    for (let pages = 0; pages < 10; pages++) {
      const page = parsePageRequest(query, 1000);
      const start = page.marker === undefined ? 0 : all.findIndex((item) => item.id === page.marker) + 1;
      const slice = all.slice(start, start + (page.limit ?? all.length));
      seen.push(...slice.map((item) => item.id));
      const [next] = nextPageLink(base, query, slice, page.limit);
      if (!next) {
        break;
      }
      query = Object.fromEntries(new URL(next.href).searchParams);
    }
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('sortByKeys', () => {
  it('sorts by each key in turn, nulls first, numbers by value', () => {
    const items = [
      { id: 'b', size: 10, name: null },
      { id: 'a', size: 9, name: 'x' },
      { id: 'c', size: 10, name: 'y' },
    ];
    expect(sortByKeys(items, [{ key: 'size', descending: true }, { key: 'name', descending: false }]).map((item) => item.id)).toEqual(['b', 'c', 'a']);
  });
});
