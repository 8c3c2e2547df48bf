import { badRequest } from '@overcast/shared/core';
import { formatCidr, parseCidr } from '../common/ip-math';

/** The protocol names Neutron takes (neutron_lib's IP_PROTOCOL_MAP), with their numbers. */
export const PROTOCOL_NUMBERS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4, 'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58,
  icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
const PORTED = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136']);
const ICMP = new Set(['icmp', 'icmpv6', 'ipv6-icmp', '1', '58']);

export interface RuleRequest {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

/** The protocol as stored: a known name in lower case, a number as its digits; `any` and empty are none. */
export function normalizeProtocol(protocol: string | number | null | undefined): string | null {
  if (protocol === null || protocol === undefined || protocol === '' || protocol === 'any') {
    return null;
  }
  const text = String(protocol).toLowerCase();
  if (text in PROTOCOL_NUMBERS || (/^\d+$/.test(text) && Number(text) <= 255)) {
    return text;
  }
  throw badRequest(
    `Security group rule protocol ${String(protocol)} not supported. Only protocol values [None, ${Object.keys(PROTOCOL_NUMBERS).join(', ')}] and integer representations [0 to 255] are supported.`,
    'SecurityGroupRuleInvalidProtocol',
  );
}

/** Checks a rule as Neutron does: ports only with a protocol that has them, ranges in order, a prefix of the rule's family. */
export function checkRule(rule: RuleRequest): RuleRequest {
  const { protocol, portRangeMin: min, portRangeMax: max } = rule;
  if (protocol !== null && PORTED.has(protocol)) {
    for (const value of [min, max]) {
      if (value !== null && (value < 1 || value > 65535)) {
        throw badRequest(`Invalid value for port ${value}.`, 'SecurityGroupInvalidPortValue');
      }
    }
    // A range needs both ends (Neutron refuses a maximum without a minimum).
    if ((min === null && max !== null) || (min !== null && max !== null && min > max)) {
      throw badRequest('For TCP/UDP protocols, port_range_min must be <= port_range_max', 'SecurityGroupInvalidPortRange');
    }
  } else if (protocol !== null && ICMP.has(protocol)) {
    for (const [value, field] of [[min, 'type'], [max, 'code']] as const) {
      if (value !== null && (value < 0 || value > 255)) {
        throw badRequest(`Invalid value for ICMP ${field} (port-range-${field === 'type' ? 'min' : 'max'}): ${value}. It must be 0 to 255.`, 'SecurityGroupInvalidIcmpValue');
      }
    }
    if (min === null && max !== null) {
      throw badRequest(`ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`, 'SecurityGroupMissingIcmpType');
    }
  } else if (min !== null || max !== null) {
    throw badRequest(`Invalid protocol ${protocol ?? 'None'} for port range, only supported for TCP, UDP, UDPLITE, SCTP, DCCP and ICMP protocols.`, 'SecurityGroupInvalidProtocolForPortRange');
  }
  if (rule.ethertype === 'IPv4' && (protocol === 'icmpv6' || protocol === 'ipv6-icmp' || protocol === '58')) {
    throw badRequest(`Security group rule for ethertype 'IPv4' not supported. Allowed values are ['IPv6'].`, 'SecurityGroupRuleInvalidEtherType');
  }
  if (rule.remoteIpPrefix !== null && rule.remoteGroupId !== null) {
    throw badRequest('Only remote_ip_prefix or remote_group_id may be provided.', 'SecurityGroupRemoteGroupAndRemoteIpPrefix');
  }
  let remoteIpPrefix = rule.remoteIpPrefix;
  if (remoteIpPrefix !== null) {
    const cidr = parseCidr(remoteIpPrefix.includes('/') ? remoteIpPrefix : `${remoteIpPrefix}/${remoteIpPrefix.includes(':') ? 128 : 32}`);
    if (!cidr) {
      throw badRequest(`Invalid input for remote_ip_prefix. Reason: '${remoteIpPrefix}' is not a valid IP subnet.`);
    }
    if ((cidr.version === 4) !== (rule.ethertype === 'IPv4')) {
      throw badRequest(`Conflicting value ethertype ${rule.ethertype} for CIDR ${remoteIpPrefix}`, 'SecurityGroupConflictingEthertypeAndCidr');
    }
    remoteIpPrefix = formatCidr(cidr);
  }
  return { ...rule, remoteIpPrefix };
}
