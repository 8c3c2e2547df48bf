import { OpenStackError } from '@overcast/shared/core';
import { nextLinks, novaPage, queryTime } from './nova-list';

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

describe('queryTime', () => {
  it.each([
    ['2011-01-01', '2011-01-01T00:00:00.000Z'],
    ['2011-01-01T10:20', '2011-01-01T10:20:00.000Z'],
    ['2011-01-01 10:20:30.5', '2011-01-01T10:20:30.500Z'],
    ['2011-01-01T10:20:30+0100', '2011-01-01T09:20:30.000Z'],
    ['2011-01-01T10:20:30-02:00', '2011-01-01T12:20:30.000Z'],
  ])('reads %j as ISO 8601, UTC without a zone', (text, iso) => {
    expect(queryTime({ 'changes-since': text }, 'changes-since')?.toISOString()).toBe(iso);
  });

  it.each(['2011/01/01', 'yesterday', '2011-13-01', '2011-01-01T25:00'])('refuses %j with a 400', (text) => {
    expect(() => queryTime({ 'changes-since': text }, 'changes-since')).toThrow(OpenStackError);
  });

  it('is undefined when not asked', () => {
    expect(queryTime({}, 'changes-since')).toBeUndefined();
  });
});
