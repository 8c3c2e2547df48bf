import { canonicalDestination, canonicalIp, eui64LinkLocal, ipv4NetworkAndMask, parseCidr } from './ip-addresses';

describe('IP address helpers', () => {
  it('parses CIDRs and bare addresses, IPv6 in the form ip prints', () => {
    expect(parseCidr('10.0.0.0/24')).toEqual({ address: '10.0.0.0', prefixLength: 24, version: 4 });
    expect(parseCidr('10.0.0.7')).toEqual({ address: '10.0.0.7', prefixLength: 32, version: 4 });
    expect(parseCidr('2001:DB8:0:0::1/64')).toEqual({ address: '2001:db8::1', prefixLength: 64, version: 6 });
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/no valid CIDR/);
    expect(() => parseCidr('example.org')).toThrow(/no IP address/);
  });

  it('spells destinations as ip route prints them', () => {
    expect(canonicalDestination('0.0.0.0/0')).toBe('default');
    expect(canonicalDestination('10.5.0.7/32')).toBe('10.5.0.7');
    expect(canonicalDestination('10.5.0.0/24')).toBe('10.5.0.0/24');
    expect(canonicalIp('2001:0db8::0001')).toBe('2001:db8::1');
  });

  it('gives an IPv4 subnet its network address and netmask, whatever host bits the CIDR has', () => {
    expect(ipv4NetworkAndMask('10.2.3.77/20')).toEqual({ network: '10.2.0.0', netmask: '255.255.240.0' });
    expect(ipv4NetworkAndMask('192.168.1.0/24')).toEqual({ network: '192.168.1.0', netmask: '255.255.255.0' });
    expect(ipv4NetworkAndMask('10.0.0.1/32')).toEqual({ network: '10.0.0.1', netmask: '255.255.255.255' });
    expect(ipv4NetworkAndMask('0.0.0.0/0')).toEqual({ network: '0.0.0.0', netmask: '0.0.0.0' });
    expect(() => ipv4NetworkAndMask('2001:db8::/64')).toThrow(/no IPv4 subnet/);
  });

  it('derives the EUI-64 link-local address of a MAC', () => {
    expect(eui64LinkLocal('fa:16:3e:12:34:56')).toBe('fe80::f816:3eff:fe12:3456');
    expect(() => eui64LinkLocal('fa:16:3e')).toThrow(/no MAC address/);
  });
});
