import { portFirewallFlows, portRangeMatches, ruleMatches } from './firewall.flows';
import { type PortFirewall } from './port-firewall';

/** The ports a value/mask list matches, for checking it against the range it stands for. */
function portsMatched(matches: string[]): number[] {
  const matched: number[] = [];
  for (let port = 0; port <= 0xffff; port++) {
    if (
      matches.some((match) => {
        const [value, mask = '0xffff'] = match.split('/');
        return (port & Number(mask)) === Number(value);
      })
    ) {
      matched.push(port);
    }
  }
  return matched;
}

const range = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => min + i);

describe('firewall flows', () => {
  it.each([
    [80, 80],
    [8000, 8080],
    [1, 65535],
    [1024, 2047],
    [0, 1],
  ])('matches exactly the ports %i to %i, in aligned blocks', (min, max) => {
    const matches = portRangeMatches(min, max);
    expect(portsMatched(matches)).toEqual(range(min, max));
  });

  it('needs few masks for aligned ranges', () => {
    expect(portRangeMatches(1024, 2047)).toEqual(['0x400/0xfc00']);
    expect(portRangeMatches(22, 22)).toEqual(['0x16']);
  });

  it('multiplies a rule out into port blocks times remote addresses', () => {
    const matches = ruleMatches({ direction: 'ingress', ipVersion: 4, protocol: 6, portRangeMin: 80, portRangeMax: 81, remotes: ['10.0.0.1', '10.0.0.2'] });
    expect(matches).toEqual([
      ['ip', 'nw_proto=6', 'tp_dst=0x50/0xfffe', 'nw_src=10.0.0.1'],
      ['ip', 'nw_proto=6', 'tp_dst=0x50/0xfffe', 'nw_src=10.0.0.2'],
    ]);
  });

  it('matches ICMP by type and code, IPv6 remotes by IPv6 fields, and an empty remote group by nothing', () => {
    expect(ruleMatches({ direction: 'egress', ipVersion: 4, protocol: 1, portRangeMin: 8, portRangeMax: 0 })).toEqual([['ip', 'nw_proto=1', 'icmp_type=8', 'icmp_code=0']]);
    expect(ruleMatches({ direction: 'egress', ipVersion: 6, protocol: 58, remotes: ['2001:db8::/64'] })).toEqual([['ipv6', 'nw_proto=58', 'ipv6_dst=2001:db8::/64']]);
    expect(ruleMatches({ direction: 'ingress', ipVersion: 4, remotes: [] })).toEqual([]);
  });

  describe('of one port', () => {
    const firewall: PortFirewall = {
      macAddress: 'fa:16:3e:00:00:01',
      sources: [
        { macAddress: 'fa:16:3e:00:00:01', ipAddress: '10.0.0.5' },
        { macAddress: 'fa:16:3e:00:00:01', ipAddress: 'fe80::f816:3eff:fe00:1' },
      ],
      rules: [
        { direction: 'ingress', ipVersion: 4, protocol: 1 },
        { direction: 'egress', ipVersion: 4 },
      ],
    };
    const flows = portFirewallFlows(7, firewall);

    it('lets the port send ARP and IP only from its own MAC/IP pairs, into conntrack', () => {
      expect(flows).toContain('table=10,priority=80,reg5=7,arp,dl_src=fa:16:3e:00:00:01,arp_sha=fa:16:3e:00:00:01,arp_spa=10.0.0.5,actions=goto_table:20');
      expect(flows).toContain('table=10,priority=70,reg5=7,ip,dl_src=fa:16:3e:00:00:01,nw_src=10.0.0.5,actions=ct(table=11,zone=NXM_NX_REG5[0..15])');
      expect(flows).toContain('table=10,priority=70,reg5=7,ipv6,dl_src=fa:16:3e:00:00:01,ipv6_src=fe80::f816:3eff:fe00:1,actions=ct(table=11,zone=NXM_NX_REG5[0..15])');
    });

    it('lets DHCP requests out before the port has an address, and never lets it answer as a DHCP server', () => {
      expect(flows).toContain('table=10,priority=95,reg5=7,udp,dl_src=fa:16:3e:00:00:01,tp_src=68,tp_dst=67,actions=goto_table:20');
      expect(flows).toContain('table=10,priority=90,reg5=7,udp,tp_src=67,actions=drop');
      expect(flows).toContain('table=10,priority=95,reg5=7,udp6,dl_src=fa:16:3e:00:00:01,tp_src=546,tp_dst=547,actions=goto_table:20');
      expect(flows).toContain('table=10,priority=90,reg5=7,udp6,tp_src=547,actions=drop');
    });

    it('takes router advertisements and DHCPv6 answers from anyone, and never lets the port advertise itself as a router', () => {
      expect(flows).toContain('table=30,priority=95,reg5=7,icmp6,icmpv6_type=134,actions=output:7');
      expect(flows).toContain('table=30,priority=95,reg5=7,udp6,tp_src=547,tp_dst=546,actions=output:7');
      // Above the flows that let the port's own addresses out (priority 80 and 70).
      expect(flows).toContain('table=10,priority=90,reg5=7,icmp6,icmpv6_type=134,actions=drop');
    });

    it('commits what a rule admits, and delivers ingress straight to the port', () => {
      expect(flows).toContain('table=32,priority=70,reg5=7,ip,nw_proto=1,actions=ct(commit,zone=NXM_NX_REG5[0..15]),output:7');
      expect(flows).toContain('table=12,priority=70,reg5=7,ip,actions=ct(commit,zone=NXM_NX_REG5[0..15]),goto_table:20');
    });
  });
});
