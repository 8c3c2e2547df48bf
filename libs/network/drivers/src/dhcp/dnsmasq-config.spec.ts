import { type DhcpSpec, type SubnetSpec } from '@overcast/network/contracts';
import { dnsmasqArguments, dnsmasqFiles, renderHostsFile, renderOptsFile, servedSubnets } from './dnsmasq-config';

const network = { networkId: 'net-1', networkType: 'vxlan' as const, segmentationId: 7, mtu: 1450 };

function subnet(id: string, cidr: string, overrides: Partial<SubnetSpec> = {}): SubnetSpec {
  return { id, networkId: 'net-1', ipVersion: 4, cidr, gatewayIp: null, enableDhcp: true, dnsNameservers: [], hostRoutes: [], ...overrides };
}

function spec(subnets: SubnetSpec[], hosts: DhcpSpec['hosts'] = []): DhcpSpec {
  const port = {
    id: 'dhcp-port',
    networkId: 'net-1',
    macAddress: 'fa:16:3e:00:00:02',
    fixedIps: [],
    adminStateUp: true,
    portSecurityEnabled: false,
    securityGroupIds: [],
    allowedAddressPairs: [],
    device: { kind: 'tap' as const },
  };
  return { network, port, subnets, hosts };
}

const v4 = subnet('s4', '10.2.0.0/24', { gatewayIp: '10.2.0.1', dnsNameservers: ['10.2.0.53', '2001:db8::53'] });
const v6 = subnet('s6', '2001:db8::/64', { ipVersion: 6, gatewayIp: '2001:db8::1' });
const off = subnet('off', '10.3.0.0/24', { enableDhcp: false });
const ipv6 = (id: string, cidr: string, mode: SubnetSpec['ipv6AddressMode'], dnsNameservers: string[] = []) =>
  subnet(id, cidr, { ipVersion: 6, gatewayIp: null, ipv6RaMode: mode, ipv6AddressMode: mode, dnsNameservers });
const stateful = ipv6('sf', '2001:db8:1::/64', 'dhcpv6-stateful', ['2001:db8::53', '10.2.0.53', '2001:db8::54']);
const stateless = ipv6('sl', '2001:db8:2::/64', 'dhcpv6-stateless', ['2001:db8::53']);
const slaac = ipv6('sa', '2001:db8:3::/64', 'slaac', ['2001:db8::53']);

describe('dnsmasq configuration', () => {
  it('lists a fixed address per port on a served subnet, named by the server or after its address', () => {
    const hosts = [
      { macAddress: 'fa:16:3e:00:00:11', ipAddress: '10.2.0.11', hostname: 'host-10-2-0-11' },
      { macAddress: 'fa:16:3e:00:00:12', ipAddress: '10.2.0.12', hostname: '' },
      { macAddress: 'fa:16:3e:00:00:13', ipAddress: '10.3.0.13', hostname: 'host-10-3-0-13' },
    ];
    expect(renderHostsFile(spec([v4, off], hosts))).toBe('fa:16:3e:00:00:11,host-10-2-0-11,10.2.0.11\nfa:16:3e:00:00:12,host-10-2-0-12,10.2.0.12\n');
  });

  it('lists IPv6 fixed addresses in brackets where DHCPv6 hands them out, not where instances make them by SLAAC', () => {
    const hosts = [
      { macAddress: 'fa:16:3e:00:00:11', ipAddress: '10.2.0.11', hostname: '' },
      { macAddress: 'fa:16:3e:00:00:11', ipAddress: '2001:db8:1::11', hostname: '' },
      { macAddress: 'fa:16:3e:00:00:11', ipAddress: '2001:db8:2:0:f816:3eff:fe00:11', hostname: '' },
      { macAddress: 'fa:16:3e:00:00:11', ipAddress: '2001:db8:3:0:f816:3eff:fe00:11', hostname: '' },
      { macAddress: 'fa:16:3e:00:00:12', ipAddress: '2001:db8::12', hostname: 'host-2001-db8--12' },
    ];
    expect(renderHostsFile(spec([v4, stateful, stateless, slaac, v6], hosts)).split('\n')).toEqual([
      'fa:16:3e:00:00:11,host-10-2-0-11,10.2.0.11',
      'fa:16:3e:00:00:11,host-2001-db8-1--11,[2001:db8:1::11]',
      // Neither IPv6 mode set: Neutron hands out addresses there as before the modes existed.
      'fa:16:3e:00:00:12,host-2001-db8--12,[2001:db8::12]',
      '',
    ]);
  });

  it('gives each subnet its router and DNS servers, and the network its MTU', () => {
    expect(renderOptsFile(spec([v4, subnet('nogw', '10.4.0.0/24')]))).toBe(
      ['tag:subnet-s4,option:router,10.2.0.1', 'tag:subnet-s4,option:dns-server,10.2.0.53', 'tag:subnet-nogw,option:router', 'option:mtu,1450', ''].join('\n'),
    );
  });

  it('gives each DHCPv6 subnet its IPv6 DNS servers and nothing else: routes and MTU come by router advertisement', () => {
    expect(renderOptsFile(spec([stateful, stateless, slaac, v6]))).toBe(
      ['tag:subnet-sf,option6:dns-server,[2001:db8::53],[2001:db8::54]', 'tag:subnet-sl,option6:dns-server,[2001:db8::53]', 'option:mtu,1450', ''].join('\n'),
    );
  });

  it('sends host routes as classless static routes, with the default route, which such clients take instead of the router option', () => {
    const routed = subnet('r', '10.2.0.0/24', { gatewayIp: '10.2.0.1', hostRoutes: [{ destination: '10.50.0.0/24', nexthop: '10.2.0.254' }] });
    expect(renderOptsFile(spec([routed])).split('\n')).toEqual(
      expect.arrayContaining(['tag:subnet-r,option:classless-static-route,10.50.0.0/24,10.2.0.254,0.0.0.0/0,10.2.0.1', 'tag:subnet-r,249,10.50.0.0/24,10.2.0.254,0.0.0.0/0,10.2.0.1']),
    );
  });

  it('runs DHCP only, on the leg only, with a static range per served subnet and its files in the network\'s directory', () => {
    const files = dnsmasqFiles('/var/lib/overcast', 'net-1');
    expect(files.pidFile).toBe('/var/lib/overcast/dhcp/net-1/pid');
    const args = dnsmasqArguments(spec([subnet('wide', '10.8.3.0/20'), stateful, stateless, slaac, off]), 'ns-dhcp-port', files);
    expect(args).toEqual(expect.arrayContaining(['--port=0', '--interface=ns-dhcp-port', '--bind-interfaces', '--except-interface=lo', `--pid-file=${files.pidFile}`]));
    expect(args.some((arg) => arg.startsWith('--enable-ra'))).toBe(false);
    expect(args.filter((arg) => arg.startsWith('--dhcp-range'))).toEqual([
      '--dhcp-range=set:subnet-wide,10.8.0.0,static,255.255.240.0,86400s',
      '--dhcp-range=set:subnet-sf,2001:db8:1::,static,64,86400s',
      '--dhcp-range=set:subnet-sl,2001:db8:2::,static,64,86400s',
    ]);
  });

  it('serves nothing on a network whose only subnet is SLAAC', () => {
    expect(servedSubnets(spec([slaac]))).toEqual([]);
  });
});
