import { type OpenStackError } from '@overcast/shared/core';
import { checkPrefixesKept, planSubnetPool, type SubnetPoolRequest } from './subnetpool-plan';
import { formatCidr } from '../common/ip-math';

function refusal(check: () => unknown): { status: number; type?: string; message: string } {
  try {
    check();
  } catch (error) {
    const fault = error as OpenStackError;
    return { status: fault.status, type: fault.type, message: fault.message };
  }
  throw new Error('the request was accepted');
}
const refusalOf = (request: SubnetPoolRequest) => refusal(() => planSubnetPool(request));

describe('planSubnetPool', () => {
  it("fills in Neutron's bounds: min /8 (IPv4) or /64 (IPv6), max the family's bits, default the min", () => {
    expect(planSubnetPool({ prefixes: ['10.10.0.0/16'] })).toMatchObject({ ipVersion: 4, minPrefixlen: 8, maxPrefixlen: 32, defaultPrefixlen: 8 });
    expect(planSubnetPool({ prefixes: ['2001:db8::/48'], defaultPrefixlen: 80 })).toMatchObject({ ipVersion: 6, minPrefixlen: 64, maxPrefixlen: 128, defaultPrefixlen: 80 });
  });

  it('normalizes the prefixes: host bits dropped, overlapping and adjacent ones compacted', () => {
    const plan = planSubnetPool({ prefixes: ['10.10.0.5/16', '10.11.0.0/16', '192.168.0.0/24', '192.168.0.0/25'] });
    expect(plan.prefixes.map(formatCidr)).toEqual(['10.10.0.0/15', '192.168.0.0/24']);
  });

  it('refuses bad prefixes with Neutron’s errors', () => {
    expect(refusalOf({ prefixes: [] })).toEqual({ status: 400, type: 'EmptySubnetPoolPrefixList', message: 'Empty subnet pool prefix list.' });
    expect(refusalOf({ prefixes: ['10.0.0.0/33'] })).toMatchObject({ status: 400, message: "Invalid input for prefixes. Reason: '10.0.0.0/33' is not a valid IP subnet." });
    expect(refusalOf({ prefixes: ['banana'] })).toMatchObject({ status: 400 });
    expect(refusalOf({ prefixes: ['10.0.0.0/8', '10.0.0.0/8'] })).toMatchObject({ status: 400, message: "Invalid input for prefixes. Reason: Duplicate items in the list: '10.0.0.0/8'." });
    expect(refusalOf({ prefixes: ['10.0.0.0/8', '2001:db8::/32'] })).toEqual({ status: 400, type: 'PrefixVersionMismatch', message: 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.' });
  });

  it('refuses prefix lengths out of order or beyond the family', () => {
    const prefixes = ['10.0.0.0/8'];
    expect(refusalOf({ prefixes, minPrefixlen: 24, maxPrefixlen: 16 })).toEqual({ status: 400, type: 'IllegalSubnetPoolPrefixBounds', message: 'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.' });
    expect(refusalOf({ prefixes, maxPrefixlen: 33 }).message).toBe('Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.');
    expect(refusalOf({ prefixes, minPrefixlen: 16, defaultPrefixlen: 12 }).message).toBe('Illegal prefix bounds: default_prefixlen=12, min_prefixlen=16.');
    expect(refusalOf({ prefixes, maxPrefixlen: 24, defaultPrefixlen: 28 }).message).toBe('Illegal prefix bounds: default_prefixlen=28, max_prefixlen=24.');
  });
});

describe('checkPrefixesKept', () => {
  const current = planSubnetPool({ prefixes: ['10.10.0.0/16'] });

  it('lets an update add prefixes or widen them', () => {
    expect(() => checkPrefixesKept(current, planSubnetPool({ prefixes: ['10.10.0.0/16', '10.20.0.0/16'] }))).not.toThrow();
    expect(() => checkPrefixesKept(current, planSubnetPool({ prefixes: ['10.0.0.0/8'] }))).not.toThrow();
  });

  it('refuses an update that drops or narrows a prefix, or changes the family', () => {
    const illegal = { status: 400, type: 'IllegalSubnetPoolPrefixUpdate', message: 'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.' };
    expect(refusal(() => checkPrefixesKept(current, planSubnetPool({ prefixes: ['10.10.0.0/17'] })))).toEqual(illegal);
    expect(refusal(() => checkPrefixesKept(current, planSubnetPool({ prefixes: ['10.20.0.0/16'] })))).toEqual(illegal);
    expect(refusal(() => checkPrefixesKept(current, planSubnetPool({ prefixes: ['2001:db8::/32'] })))).toEqual(illegal);
  });
});
