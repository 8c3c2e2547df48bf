import { type PortSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { linkLocalAddress, portFirewall, protocolNumber } from './port-firewall';

const port: PortSpec = {
  id: 'port-1',
  networkId: 'net-1',
  macAddress: 'fa:16:3e:12:34:56',
  fixedIps: [
    { subnetId: 's4', ipAddress: '10.0.0.5' },
    { subnetId: 's6', ipAddress: '2001:db8::5' },
  ],
  adminStateUp: true,
  portSecurityEnabled: true,
  securityGroupIds: ['web'],
  allowedAddressPairs: [{ ipAddress: '10.0.0.0/28', macAddress: '' }],
  device: { kind: 'tap' },
};

describe('port firewall', () => {
  it('derives the IPv6 link-local address from the MAC (modified EUI-64)', () => {
    expect(linkLocalAddress('fa:16:3e:12:34:56')).toBe('fe80::f816:3eff:fe12:3456');
    expect(linkLocalAddress('00:00:5e:00:53:01')).toBe('fe80::200:5eff:fe00:5301');
  });

  it('reads protocol names and numbers, and refuses an unknown one', () => {
    expect(protocolNumber('tcp')).toBe(6);
    expect(protocolNumber('IPv6-ICMP')).toBe(58);
    expect(protocolNumber('112')).toBe(112);
    expect(() => protocolNumber('tcpp')).toThrow('unknown IP protocol "tcpp"');
    expect(() => protocolNumber('300')).toThrow('unknown IP protocol "300"');
  });

  it('spells out the rules: remote groups by IP version, /0 as any, icmp in an IPv6 rule as ICMPv6', () => {
    const groups: SecurityGroupSpec[] = [
      {
        id: 'web',
        memberIps: [],
        rules: [
          { id: 'r1', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteGroupId: 'db' },
          { id: 'r2', direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', remoteIpPrefix: '::/0' },
          { id: 'r3', direction: 'egress', ethertype: 'IPv4', remoteIpPrefix: '192.0.2.0/24' },
        ],
      },
      { id: 'db', memberIps: ['10.0.0.9', '2001:db8::9'], rules: [] },
    ];
    expect(portFirewall(port, groups)).toEqual({
      macAddress: 'fa:16:3e:12:34:56',
      sources: [
        { macAddress: 'fa:16:3e:12:34:56', ipAddress: '10.0.0.5' },
        { macAddress: 'fa:16:3e:12:34:56', ipAddress: '2001:db8::5' },
        { macAddress: 'fa:16:3e:12:34:56', ipAddress: '10.0.0.0/28' },
        { macAddress: 'fa:16:3e:12:34:56', ipAddress: 'fe80::f816:3eff:fe12:3456' },
      ],
      rules: [
        { direction: 'ingress', ipVersion: 4, protocol: 6, portRangeMin: 80, portRangeMax: 80, remotes: ['10.0.0.9'] },
        { direction: 'ingress', ipVersion: 6, protocol: 58, portRangeMin: undefined, portRangeMax: undefined, remotes: undefined },
        { direction: 'egress', ipVersion: 4, protocol: undefined, portRangeMin: undefined, portRangeMax: undefined, remotes: ['192.0.2.0/24'] },
      ],
    });
  });

  it('refuses a port whose group (or remote group) the state does not carry', () => {
    expect(() => portFirewall(port, [])).toThrow('security group web is not in the host state');
    const onlyWeb: SecurityGroupSpec = { id: 'web', memberIps: [], rules: [{ id: 'r', direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'gone' }] };
    expect(() => portFirewall(port, [onlyWeb])).toThrow('security group gone is not in the host state');
  });
});
