import { addressOf, cidrContains, cidrOf, cidrsOverlap, formatAddress, formatCidr, parseAddress, parseCidr } from './ip-math';

describe('ip math', () => {
  it('reads IPv4 and IPv6 addresses in canonical form only', () => {
    expect(parseAddress('10.0.0.1')).toEqual({ version: 4, value: 0x0a000001n });
    expect(parseAddress('2001:db8::1')?.version).toBe(6);
    expect(parseAddress('10.1')).toBeUndefined();
    expect(parseAddress('010.0.0.1')).toBeUndefined();
    expect(parseAddress('foo')).toBeUndefined();
  });

  it('writes addresses back as they are usually written', () => {
    expect(formatAddress({ version: 4, value: 0xcb007101n })).toBe('203.0.113.1');
    expect(formatAddress(addressOf('2001:db8:0:0::5'))).toBe('2001:db8::5');
  });

  it('reads CIDRs and says when host bits are set', () => {
    const cidr = cidrOf('10.0.0.0/24');
    expect(cidr).toMatchObject({ version: 4, prefix: 24, size: 256n, hostBits: false });
    expect(parseCidr('10.0.0.5/24')?.hostBits).toBe(true);
    expect(formatCidr(cidrOf('10.0.0.5/24'))).toBe('10.0.0.0/24');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('2001:db8::/64')?.size).toBe(1n << 64n);
  });

  it('tells containment and overlap, never across families', () => {
    const net = cidrOf('10.0.0.0/24');
    expect(cidrContains(net, addressOf('10.0.0.255'))).toBe(true);
    expect(cidrContains(net, addressOf('10.0.1.0'))).toBe(false);
    expect(cidrsOverlap(net, cidrOf('10.0.0.128/25'))).toBe(true);
    expect(cidrsOverlap(net, cidrOf('10.0.1.0/24'))).toBe(false);
    expect(cidrsOverlap(net, cidrOf('::/0'))).toBe(false);
  });
});
