import { badRequest } from '@overcast/shared/core';
import { type Cidr, parseCidr } from '../common/ip-math';
import { invalidInput } from '../common/request-body';
import { compactPrefixes, FAMILY_BITS, subtractPrefixes } from './prefix-allocation';

export interface SubnetPoolRequest {
  prefixes: readonly string[];
  minPrefixlen?: number;
  maxPrefixlen?: number;
  defaultPrefixlen?: number;
}

/** A pool's prefixes and bounds, checked and completed with Neutron's defaults. */
export interface SubnetPoolPlan {
  ipVersion: 4 | 6;
  prefixes: Cidr[];
  minPrefixlen: number;
  maxPrefixlen: number;
  defaultPrefixlen: number;
}

/** Neutron's smallest prefix length a pool hands out unless told: a /8 of IPv4, a /64 of IPv6. */
const DEFAULT_MIN_PREFIXLEN = { 4: 8, 6: 64 } as const;

const illegalBounds = (type: string, prefixlen: number, baseType: string, baseLength: number) =>
  badRequest(`Illegal prefix bounds: ${type}=${prefixlen}, ${baseType}=${baseLength}.`, 'IllegalSubnetPoolPrefixBounds');

/** The prefixes as CIDRs of one family (host bits dropped, as Neutron's IPSet does). */
function parsePrefixes(texts: readonly string[]): { ipVersion: 4 | 6; cidrs: Cidr[] } {
  const [first] = texts;
  if (first === undefined) {
    throw badRequest('Empty subnet pool prefix list.', 'EmptySubnetPoolPrefixList');
  }
  const duplicates = texts.filter((text, index) => texts.indexOf(text) !== index);
  if (duplicates.length > 0) {
    throw invalidInput('prefixes', `Duplicate items in the list: '${duplicates.join(', ')}'`);
  }
  const cidrs = texts.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) {
      throw invalidInput('prefixes', `'${text}' is not a valid IP subnet`);
    }
    return cidr;
  });
  const ipVersion = cidrs[0]?.version ?? 4;
  if (cidrs.some((cidr) => cidr.version !== ipVersion)) {
    throw badRequest('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', 'PrefixVersionMismatch');
  }
  return { ipVersion, cidrs };
}

/** Checks a pool as Neutron's SubnetPoolReader does: one family, min <= default <= max <= the family's bits. */
export function planSubnetPool(request: SubnetPoolRequest): SubnetPoolPlan {
  const { ipVersion, cidrs } = parsePrefixes(request.prefixes);
  const bits = FAMILY_BITS[ipVersion];
  const minPrefixlen = request.minPrefixlen ?? DEFAULT_MIN_PREFIXLEN[ipVersion];
  const maxPrefixlen = request.maxPrefixlen ?? bits;
  const defaultPrefixlen = request.defaultPrefixlen ?? minPrefixlen;
  if (minPrefixlen > maxPrefixlen) {
    throw illegalBounds('min_prefixlen', minPrefixlen, 'max_prefixlen', maxPrefixlen);
  }
  if (maxPrefixlen > bits) {
    throw illegalBounds('max_prefixlen', maxPrefixlen, 'ip_version_max', bits);
  }
  if (defaultPrefixlen < minPrefixlen) {
    throw illegalBounds('default_prefixlen', defaultPrefixlen, 'min_prefixlen', minPrefixlen);
  }
  if (defaultPrefixlen > maxPrefixlen) {
    throw illegalBounds('default_prefixlen', defaultPrefixlen, 'max_prefixlen', maxPrefixlen);
  }
  return { ipVersion, prefixes: compactPrefixes(ipVersion, cidrs), minPrefixlen, maxPrefixlen, defaultPrefixlen };
}

/** An update may only add to a pool's prefixes or widen them: subnets already carved from it must stay inside. */
export function checkPrefixesKept(current: Pick<SubnetPoolPlan, 'ipVersion' | 'prefixes'>, updated: SubnetPoolPlan): void {
  if (current.ipVersion !== updated.ipVersion || subtractPrefixes(current.ipVersion, current.prefixes, updated.prefixes).length > 0) {
    throw badRequest('Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.', 'IllegalSubnetPoolPrefixUpdate');
  }
}
