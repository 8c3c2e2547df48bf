import { cidrOf, formatCidr } from '../common/ip-math';
import { allocatePrefix, compactPrefixes, isFree, subtractPrefixes } from './prefix-allocation';

const cidrs = (...texts: string[]) => texts.map(cidrOf);
const texts = (list: ReturnType<typeof cidrs>) => list.map(formatCidr);

describe('compactPrefixes', () => {
  it('joins overlapping and adjacent prefixes into the fewest CIDRs', () => {
    expect(texts(compactPrefixes(4, cidrs('10.0.1.0/24', '10.0.0.0/24', '10.0.0.128/25', '10.0.3.0/24')))).toEqual(['10.0.0.0/23', '10.0.3.0/24']);
    expect(texts(compactPrefixes(6, cidrs('2001:db8::/33', '2001:db8:8000::/33')))).toEqual(['2001:db8::/32']);
    expect(texts(compactPrefixes(4, cidrs('0.0.0.0/0')))).toEqual(['0.0.0.0/0']);
  });
});

describe('subtractPrefixes', () => {
  it('leaves what the taken prefixes do not cover, as aligned CIDRs', () => {
    expect(texts(subtractPrefixes(4, cidrs('10.10.0.0/16'), cidrs('10.10.0.0/24')))).toEqual([
      '10.10.1.0/24',
      '10.10.2.0/23',
      '10.10.4.0/22',
      '10.10.8.0/21',
      '10.10.16.0/20',
      '10.10.32.0/19',
      '10.10.64.0/18',
      '10.10.128.0/17',
    ]);
    expect(subtractPrefixes(4, cidrs('10.0.0.0/24'), cidrs('10.0.0.0/25', '10.0.0.128/25'))).toEqual([]);
    expect(texts(subtractPrefixes(4, cidrs('10.0.0.0/24'), cidrs('192.168.0.0/16')))).toEqual(['10.0.0.0/24']);
  });
});

describe('allocatePrefix', () => {
  const allocateFrom = (pool: string[], taken: string[], prefixlen: number) => {
    const cidr = allocatePrefix(subtractPrefixes(4, cidrs(...pool), cidrs(...taken)), prefixlen);
    return cidr && formatCidr(cidr);
  };

  it('hands out consecutive prefixes from the start of an empty pool', () => {
    expect(allocateFrom(['10.10.0.0/16'], [], 24)).toBe('10.10.0.0/24');
    expect(allocateFrom(['10.10.0.0/16'], ['10.10.0.0/24'], 24)).toBe('10.10.1.0/24');
    expect(allocateFrom(['10.10.0.0/16'], ['10.10.0.0/24', '10.10.1.0/24'], 26)).toBe('10.10.2.0/26');
  });

  it('fills a hole before splitting a bigger block, as Neutron does (smallest block that fits)', () => {
    expect(allocateFrom(['10.0.0.0/16', '192.168.0.0/24'], [], 24)).toBe('192.168.0.0/24');
    expect(allocateFrom(['10.0.0.0/22'], ['10.0.0.0/24', '10.0.2.0/24'], 24)).toBe('10.0.1.0/24');
    expect(allocateFrom(['10.0.0.0/22'], ['10.0.0.0/26'], 24)).toBe('10.0.1.0/24');
  });

  it('finds nothing when no free block is big enough', () => {
    expect(allocateFrom(['10.0.0.0/23'], ['10.0.0.0/24', '10.0.1.0/25'], 24)).toBeUndefined();
    expect(allocateFrom(['10.0.0.0/24'], [], 16)).toBeUndefined();
  });

  it('allocates from IPv6 pools', () => {
    const cidr = allocatePrefix(subtractPrefixes(6, cidrs('2001:db8::/48'), cidrs('2001:db8::/64')), 64);
    expect(cidr && formatCidr(cidr)).toBe('2001:db8:0:1::/64');
  });
});

describe('isFree', () => {
  const free = subtractPrefixes(4, cidrs('10.0.0.0/16'), cidrs('10.0.1.0/24'));

  it('accepts a prefix wholly inside the free space and refuses one that overlaps a taken one or leaves the pool', () => {
    expect(isFree(free, cidrOf('10.0.2.0/24'))).toBe(true);
    expect(isFree(free, cidrOf('10.0.0.128/25'))).toBe(true);
    expect(isFree(free, cidrOf('10.0.1.64/26'))).toBe(false);
    expect(isFree(free, cidrOf('10.0.0.0/23'))).toBe(false);
    expect(isFree(free, cidrOf('10.1.0.0/24'))).toBe(false);
  });
});
