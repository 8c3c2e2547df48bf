import { type RouterSpec, type SubnetSpec } from '@overcast/network/contracts';
import { renderRouterNat } from './router-nat';

const network = { networkId: 'n', networkType: 'vxlan' as const, segmentationId: 1, mtu: 1450 };
const subnet = (id: string, cidr: string, ipVersion: 4 | 6 = 4): SubnetSpec => ({ id, networkId: 'n', ipVersion, cidr, gatewayIp: null, enableDhcp: false, dnsNameservers: [], hostRoutes: [] });
const port = (ipAddress: string) => ({
  id: `port-${ipAddress}`,
  networkId: 'n',
  macAddress: 'fa:16:3e:00:00:01',
  fixedIps: [{ subnetId: 's', ipAddress }],
  adminStateUp: true,
  portSecurityEnabled: false,
  securityGroupIds: [],
  allowedAddressPairs: [],
  device: { kind: 'tap' as const },
});

function router(overrides: Partial<RouterSpec> = {}): RouterSpec {
  return {
    id: 'r',
    adminStateUp: true,
    interfaces: [{ network, port: port('10.3.0.1'), subnets: [subnet('a', '10.3.0.0/24'), subnet('a6', '2001:db8::/64', 6)] }],
    gateway: { network, port: port('10.99.0.10'), subnets: [subnet('ext', '10.99.0.0/24')], enableSnat: true },
    routes: [],
    floatingIps: [{ id: 'f', floatingIpAddress: '10.99.0.20', fixedIpAddress: '10.3.0.11' }],
    ...overrides,
  };
}

const rulesOf = (table: string) => table.split('\n').filter((line) => line.startsWith('-A'));

describe('a router\'s nat table', () => {
  it('DNATs floating IPs to their fixed IPs, SNATs them back, and SNATs the internal IPv4 subnets to the gateway address', () => {
    expect(rulesOf(renderRouterNat(router(), 'qg-x'))).toEqual([
      '-A PREROUTING -d 10.99.0.20/32 -j DNAT --to-destination 10.3.0.11',
      '-A OUTPUT -d 10.99.0.20/32 -j DNAT --to-destination 10.3.0.11',
      '-A POSTROUTING ! -o qg-x -m conntrack ! --ctstate DNAT -j ACCEPT',
      '-A POSTROUTING -s 10.3.0.11/32 -j SNAT --to-source 10.99.0.20',
      '-A POSTROUTING -s 10.3.0.0/24 -o qg-x -j SNAT --to-source 10.99.0.10',
    ]);
  });

  it('SNATs nothing but floating IPs when SNAT is off', () => {
    const withSnat = router();
    const withoutSnat = router({ gateway: withSnat.gateway && { ...withSnat.gateway, enableSnat: false } });
    expect(rulesOf(renderRouterNat(withoutSnat, 'qg-x')).filter((rule) => rule.includes('10.99.0.10'))).toEqual([]);
    expect(rulesOf(renderRouterNat(withoutSnat, 'qg-x'))).toContain('-A POSTROUTING -s 10.3.0.11/32 -j SNAT --to-source 10.99.0.20');
  });

  it('is an empty table, replacing whatever was there, without a gateway', () => {
    expect(renderRouterNat(router({ gateway: undefined }), undefined)).toBe('*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n');
  });
});
