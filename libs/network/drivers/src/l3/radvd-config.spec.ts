import { type NetworkSegment, type RouterInterfaceSpec, type SubnetSpec } from '@overcast/network/contracts';
import { radvdArguments, radvdFiles, renderRadvdConfig } from './radvd-config';

const network: NetworkSegment = { networkId: 'n', networkType: 'vxlan', segmentationId: 1, mtu: 1450 };

function subnet(id: string, cidr: string, overrides: Partial<SubnetSpec> = {}): SubnetSpec {
  return { id, networkId: 'n', ipVersion: 6, cidr, gatewayIp: null, enableDhcp: true, dnsNameservers: [], hostRoutes: [], ...overrides };
}

const withModes = (id: string, cidr: string, mode: SubnetSpec['ipv6RaMode'], dnsNameservers: string[] = []) =>
  subnet(id, cidr, { ipv6RaMode: mode, ipv6AddressMode: mode, dnsNameservers });

function leg(device: string, subnets: SubnetSpec[], segment: NetworkSegment = network): { device: string; spec: RouterInterfaceSpec } {
  const port = {
    id: device,
    networkId: segment.networkId,
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: [],
    adminStateUp: true,
    portSecurityEnabled: false,
    securityGroupIds: [],
    allowedAddressPairs: [],
    device: { kind: 'tap' as const },
  };
  return { device, spec: { network: segment, port, subnets } };
}

describe('radvd.conf', () => {
  it('advertises a SLAAC prefix as on-link and autonomous, with the MTU and the subnet\'s IPv6 DNS servers, no M or O flag', () => {
    const slaac = withModes('a', '2001:db8:1::/64', 'slaac', ['2001:db8::53', '10.0.0.53', '2001:db8::54', '2001:db8::55', '2001:db8::56']);
    expect(renderRadvdConfig([leg('qr-a', [slaac])])).toBe(
      [
        'interface qr-a',
        '{',
        '   AdvSendAdvert on;',
        '   MinRtrAdvInterval 30;',
        '   MaxRtrAdvInterval 100;',
        '   AdvLinkMTU 1450;',
        // radvd takes three at most.
        '   RDNSS 2001:db8::53 2001:db8::54 2001:db8::55 {};',
        '   prefix 2001:db8:1::/64',
        '   {',
        '      AdvOnLink on;',
        '      AdvAutonomous on;',
        '   };',
        '};',
        '',
      ].join('\n'),
    );
  });

  it('sets the M flag and takes the prefix off SLAAC for DHCPv6-stateful, the O flag for DHCPv6-stateless, and leaves their DNS servers to DHCPv6', () => {
    const stateful = withModes('f', '2001:db8:2::/64', 'dhcpv6-stateful', ['2001:db8::53']);
    const stateless = withModes('l', '2001:db8:3::/64', 'dhcpv6-stateless', ['2001:db8::53']);
    const [statefulLeg = '', statelessLeg = ''] = renderRadvdConfig([leg('qr-f', [stateful]), leg('qr-l', [stateless])]).split('};\n').filter((block) => block.includes('interface'));

    expect(statefulLeg).toContain('AdvManagedFlag on;');
    expect(statefulLeg).not.toContain('AdvOtherConfigFlag');
    expect(statefulLeg).toContain('prefix 2001:db8:2::/64\n   {\n      AdvOnLink on;\n      AdvAutonomous off;');
    expect(statelessLeg).toContain('AdvOtherConfigFlag on;');
    expect(statelessLeg).not.toContain('AdvManagedFlag');
    expect(statelessLeg).toContain('prefix 2001:db8:3::/64\n   {\n      AdvOnLink on;\n      AdvAutonomous on;');
    expect(`${statefulLeg}${statelessLeg}`).not.toContain('RDNSS');
  });

  it('advertises only the IPv6 subnets with an RA mode, and no leg without one', () => {
    const config = renderRadvdConfig([
      leg('qr-mixed', [subnet('v4', '10.0.0.0/24', { ipVersion: 4 }), subnet('plain', '2001:db8:9::/64', { ipv6AddressMode: 'slaac' }), withModes('s', '2001:db8:4:0::/64', 'slaac')]),
      leg('qr-v4', [subnet('v4b', '10.1.0.0/24', { ipVersion: 4 })]),
    ]);
    expect(config.match(/^interface .*$/gm)).toEqual(['interface qr-mixed']);
    expect(config.match(/^ {3}prefix .*$/gm)).toEqual(['   prefix 2001:db8:4::/64']);
    expect(renderRadvdConfig([leg('qr-v4', [subnet('v4b', '10.1.0.0/24', { ipVersion: 4 })])])).toBe('');
  });

  it('does not advertise an MTU IPv6 cannot have', () => {
    expect(renderRadvdConfig([leg('qr-a', [withModes('a', '2001:db8:1::/64', 'slaac')], { ...network, mtu: 1000 })])).not.toContain('AdvLinkMTU');
  });

  it('keeps its files in the router\'s directory and names its pid file on its command line', () => {
    const files = radvdFiles('/var/lib/overcast', 'r-1');
    expect(files).toEqual({ directory: '/var/lib/overcast/ra/r-1', configFile: '/var/lib/overcast/ra/r-1/radvd.conf', pidFile: '/var/lib/overcast/ra/r-1/pid', logFile: '/var/lib/overcast/ra/r-1/radvd.log' });
    expect(radvdArguments(files)).toEqual(['-C', files.configFile, '-p', files.pidFile, '-m', 'logfile', '-l', files.logFile, '-u', 'radvd']);
  });
});
