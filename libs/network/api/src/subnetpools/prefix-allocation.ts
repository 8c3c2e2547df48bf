import { type Cidr } from '../common/ip-math';

export const FAMILY_BITS = { 4: 32, 6: 128 } as const;

/** Addresses from `start` up to, not including, `end`. */
interface Span {
  start: bigint;
  end: bigint;
}

const spanOf = (cidr: Cidr): Span => ({ start: cidr.network, end: cidr.network + cidr.size });

export function cidrWith(version: 4 | 6, network: bigint, prefix: number): Cidr {
  return { version, network, prefix, size: 1n << BigInt(FAMILY_BITS[version] - prefix) };
}

/** Sorted spans, overlapping and adjacent ones joined. */
function joined(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const result: Span[] = [];
  for (const span of sorted) {
    const last = result.at(-1);
    if (last && span.start <= last.end) {
      last.end = span.end > last.end ? span.end : last.end;
    } else {
      result.push({ ...span });
    }
  }
  return result;
}

/** The fewest CIDRs that cover a span exactly, in address order (netaddr's `iter_cidrs`). */
function cidrsCovering(span: Span, version: 4 | 6): Cidr[] {
  const cidrs: Cidr[] = [];
  let start = span.start;
  while (start < span.end) {
    // The largest block aligned at `start` that still ends inside the span.
    let hostBits = 0;
    while (start % (2n << BigInt(hostBits)) === 0n && start + (2n << BigInt(hostBits)) <= span.end) {
      hostBits += 1;
    }
    const cidr = cidrWith(version, start, FAMILY_BITS[version] - hostBits);
    cidrs.push(cidr);
    start += cidr.size;
  }
  return cidrs;
}

/** The CIDRs of one family as the fewest CIDRs covering the same addresses (Neutron compacts a pool's prefixes so). */
export function compactPrefixes(version: 4 | 6, cidrs: readonly Cidr[]): Cidr[] {
  return joined(cidrs.map(spanOf)).flatMap((span) => cidrsCovering(span, version));
}

/** What of `prefixes` lies outside every one of `taken`, as compacted CIDRs. */
export function subtractPrefixes(version: 4 | 6, prefixes: readonly Cidr[], taken: readonly Cidr[]): Cidr[] {
  let rest = joined(prefixes.map(spanOf));
  for (const cut of taken.map(spanOf)) {
    rest = rest.flatMap((span) =>
      cut.end <= span.start || cut.start >= span.end
        ? [span]
        : [
            { start: span.start, end: cut.start },
            { start: cut.end, end: span.end },
          ].filter((piece) => piece.start < piece.end),
    );
  }
  return rest.flatMap((span) => cidrsCovering(span, version));
}

/**
 * A prefix of `prefixlen` from the free CIDRs, as Neutron's SubnetAllocator picks it: from the
 * smallest free block it fits in (keeping big blocks whole), the lowest such block among equals.
 */
export function allocatePrefix(free: readonly Cidr[], prefixlen: number): Cidr | undefined {
  const bestFit = [...free].sort((a, b) => b.prefix - a.prefix).find((block) => block.prefix <= prefixlen);
  return bestFit && cidrWith(bestFit.version, bestFit.network, prefixlen);
}

/** Whether `cidr` lies wholly inside one free CIDR. */
export function isFree(free: readonly Cidr[], cidr: Cidr): boolean {
  return free.some((block) => block.prefix <= cidr.prefix && cidr.network >= block.network && cidr.network < block.network + block.size);
}
