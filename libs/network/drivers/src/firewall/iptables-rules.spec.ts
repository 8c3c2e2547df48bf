import { type PortSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { portChains, remoteGroupSets, remoteGroupSetName, renderFilterTable, renderIpsetRestore, ruleMatch } from './iptables-rules';

const ingress = { id: 'r', direction: 'ingress' as const, ethertype: 'IPv4' as const };
const egress = { ...ingress, direction: 'egress' as const };

function port(id: string, overrides: Partial<PortSpec> = {}): PortSpec {
  return {
    id,
    networkId: 'net',
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: [{ subnetId: 'subnet', ipAddress: '10.0.0.5' }],
    adminStateUp: true,
    portSecurityEnabled: true,
    securityGroupIds: ['web'],
    allowedAddressPairs: [],
    device: { kind: 'tap' },
    ...overrides,
  };
}

const lines = (text: string) => text.split('\n');

describe('security group rules as iptables matches', () => {
  it('matches ports and port ranges on the destination port, in both directions', () => {
    expect(ruleMatch({ ...ingress, protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }, 4)).toBe('-p tcp -m tcp --dport 22');
    expect(ruleMatch({ ...egress, protocol: 'udp', portRangeMin: 5000, portRangeMax: 5100 }, 4)).toBe('-p udp -m udp --dport 5000:5100');
    expect(ruleMatch({ ...ingress, protocol: '6', portRangeMin: 80 }, 4)).toBe('-p tcp -m tcp --dport 80');
  });

  it('matches ICMP type and code, and reads "icmp" in an IPv6 rule as ICMPv6', () => {
    expect(ruleMatch({ ...ingress, protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }, 4)).toBe('-p icmp -m icmp --icmp-type 8/0');
    expect(ruleMatch({ ...ingress, protocol: 'icmp', portRangeMin: 8 }, 4)).toBe('-p icmp -m icmp --icmp-type 8');
    expect(ruleMatch({ ...ingress, protocol: 'icmp' }, 4)).toBe('-p icmp');
    expect(ruleMatch({ ...ingress, ethertype: 'IPv6', protocol: 'icmp', portRangeMin: 128 }, 6)).toBe('-p ipv6-icmp -m icmp6 --icmpv6-type 128');
    expect(ruleMatch({ ...ingress, ethertype: 'IPv6', protocol: '58' }, 6)).toBe('-p ipv6-icmp');
  });

  it('takes the remote prefix as source of what comes in and destination of what goes out', () => {
    expect(ruleMatch({ ...ingress, remoteIpPrefix: '10.1.0.0/16' }, 4)).toBe('-s 10.1.0.0/16');
    expect(ruleMatch({ ...egress, remoteIpPrefix: '10.1.0.0/16', protocol: '132' }, 4)).toBe('-d 10.1.0.0/16 -p sctp');
    expect(ruleMatch({ ...ingress, remoteIpPrefix: '0.0.0.0/0', protocol: 'any' }, 4)).toBe('');
  });

  it('matches a remote group by its ipset, on the source or the destination', () => {
    expect(ruleMatch({ ...ingress, remoteGroupId: 'g' }, 4)).toBe(`-m set --match-set ${remoteGroupSetName(4, 'g')} src`);
    expect(ruleMatch({ ...egress, ethertype: 'IPv6', remoteGroupId: 'g' }, 6)).toBe(`-m set --match-set ${remoteGroupSetName(6, 'g')} dst`);
  });

  it('leaves a rule out of the other IP version\'s table', () => {
    expect(ruleMatch({ ...ingress, ethertype: 'IPv6' }, 4)).toBeUndefined();
    expect(ruleMatch(ingress, 6)).toBeUndefined();
    expect(ruleMatch({ ...ingress, remoteIpPrefix: '2001:db8::/64' }, 4)).toBeUndefined();
  });
});

describe('the filter table', () => {
  const groups: SecurityGroupSpec[] = [{ id: 'web', memberIps: [], rules: [{ ...ingress, protocol: 'tcp', portRangeMin: 443 }, egress] }];
  const filtered = port('11111111-aaaa-bbbb');
  const unfiltered = port('22222222-aaaa-bbbb', { portSecurityEnabled: false });

  it('sends both directions of a filtered port through the group chain, unfiltered ports after all of them', () => {
    const table = lines(renderFilterTable({ ports: [unfiltered, filtered], groups, version: 4, existingChains: [] }));
    const jumps = table.filter((line) => line.startsWith('-A oclb-FORWARD'));
    expect(jumps).toEqual([
      '-A oclb-FORWARD -m physdev --physdev-out tap11111111-aa --physdev-is-bridged -j oclb-sg-chain',
      '-A oclb-FORWARD -m physdev --physdev-in tap11111111-aa --physdev-is-bridged -j oclb-sg-chain',
      '-A oclb-FORWARD -m physdev --physdev-out tap22222222-aa --physdev-is-bridged -j ACCEPT',
      '-A oclb-FORWARD -m physdev --physdev-in tap22222222-aa --physdev-is-bridged -j ACCEPT',
    ]);
    expect(table.filter((line) => line.includes(portChains(unfiltered.id).ingress))).toEqual([]);
  });

  it('lets established traffic and the port\'s rules in, and drops the rest', () => {
    const { ingress: chain } = portChains(filtered.id);
    const rules = lines(renderFilterTable({ ports: [filtered], groups, version: 4, existingChains: [] })).filter((line) => line.startsWith(`-A ${chain}`));
    expect(rules).toEqual([
      `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
      `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j RETURN`,
      `-A ${chain} -m conntrack --ctstate INVALID -j DROP`,
      `-A ${chain} -p tcp -m tcp --dport 443 -j RETURN`,
      `-A ${chain} -j oclb-sg-fallback`,
    ]);
  });

  it('checks the source of what a port sends (its addresses with its MAC), after DHCP discovery and before its rules', () => {
    const withPair = { ...filtered, allowedAddressPairs: [{ ipAddress: '10.0.0.64/28', macAddress: 'fa:16:3e:00:00:02' }] };
    const { egress: chain, source } = portChains(filtered.id);
    const table = lines(renderFilterTable({ ports: [withPair], groups, version: 4, existingChains: [] }));
    expect(table.filter((line) => line.startsWith(`-A ${chain}`))).toEqual([
      `-A ${chain} -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN`,
      `-A ${chain} -j ${source}`,
      `-A ${chain} -p udp -m udp --sport 68 --dport 67 -j RETURN`,
      `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j DROP`,
      `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
      `-A ${chain} -m conntrack --ctstate INVALID -j DROP`,
      `-A ${chain} -j RETURN`,
      `-A ${chain} -j oclb-sg-fallback`,
    ]);
    expect(table.filter((line) => line.startsWith(`-A ${source}`))).toEqual([
      `-A ${source} -s 10.0.0.5 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN`,
      `-A ${source} -s 10.0.0.64/28 -m mac --mac-source fa:16:3e:00:00:02 -j RETURN`,
      `-A ${source} -j DROP`,
    ]);
  });

  it('lets an IPv6 port send from its link-local address and drops router adverts it sends', () => {
    const table = lines(renderFilterTable({ ports: [filtered], groups, version: 6, existingChains: [] }));
    const { egress: chain, source } = portChains(filtered.id);
    expect(table).toContain(`-A ${source} -s fe80::f816:3eff:fe00:1 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN`);
    expect(table).toContain(`-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP`);
    expect(table.some((line) => line.includes('10.0.0.5'))).toBe(false);
  });

  it('lets router adverts and DHCPv6 answers into an IPv6 port before its rules and the default drop', () => {
    const { ingress: chain } = portChains(filtered.id);
    const rules = lines(renderFilterTable({ ports: [filtered], groups, version: 6, existingChains: [] })).filter((line) => line.startsWith(`-A ${chain}`));
    const position = (rule: string) => rules.indexOf(`-A ${chain} ${rule}`);
    const invalidDrop = position('-m conntrack --ctstate INVALID -j DROP');
    for (const answer of ['-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j RETURN', '-p udp -m udp --sport 547 --dport 546 -j RETURN']) {
      expect(position(answer)).toBeGreaterThan(0);
      expect(position(answer)).toBeLessThan(invalidDrop);
    }
    expect(rules.at(-1)).toBe(`-A ${chain} -j oclb-sg-fallback`);
  });

  it('declares every chain it fills and deletes the chains of ours no longer wanted, in the same transaction', () => {
    const stale = portChains('99999999-gone').ingress;
    const table = lines(renderFilterTable({ ports: [filtered], groups, version: 4, existingChains: ['oclb-FORWARD', stale] }));
    expect(table[0]).toBe('*filter');
    expect(table).toEqual(expect.arrayContaining([':oclb-FORWARD - [0:0]', `:${portChains(filtered.id).source} - [0:0]`, `:${stale} - [0:0]`, `-X ${stale}`]));
    expect(table.indexOf(`-X ${stale}`)).toBeGreaterThan(table.findLastIndex((line) => line.startsWith('-A ')));
    expect(table.filter((line) => line === '-X oclb-FORWARD')).toEqual([]);
    expect(table.at(-2)).toBe('COMMIT');
  });
});

describe('remote group sets', () => {
  const groups: SecurityGroupSpec[] = [
    { id: 'web', memberIps: [], rules: [{ ...ingress, remoteGroupId: 'db' }, { ...ingress, ethertype: 'IPv6', remoteGroupId: 'db' }] },
    { id: 'db', memberIps: ['10.0.0.7', '10.0.0.7', '2001:db8::7', '10.0.1.0/24', '0.0.0.0/0'], rules: [] },
  ];

  it('holds the members of each remote group, per IP version, for filtered ports only', () => {
    expect(remoteGroupSets([port('p')], groups)).toEqual([
      { name: remoteGroupSetName(4, 'db'), version: 4, groupId: 'db', members: ['10.0.0.7/32', '10.0.1.0/24'] },
      { name: remoteGroupSetName(6, 'db'), version: 6, groupId: 'db', members: ['2001:db8::7/128'] },
    ]);
    expect(remoteGroupSets([port('p', { portSecurityEnabled: false })], groups)).toEqual([]);
  });

  it('fills a staging set and swaps it in, so a rule never matches a half-filled set', () => {
    const [set] = remoteGroupSets([port('p')], groups);
    expect(renderIpsetRestore(set === undefined ? [] : [set]).split('\n')).toEqual([
      'create oclb4-db hash:net family inet -exist',
      'create oclb4+db hash:net family inet -exist',
      'flush oclb4+db',
      'add oclb4+db 10.0.0.7/32',
      'add oclb4+db 10.0.1.0/24',
      'swap oclb4+db oclb4-db',
      'destroy oclb4+db',
      '',
    ]);
  });
});
