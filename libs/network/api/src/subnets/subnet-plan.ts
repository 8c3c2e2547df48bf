import { type AllocationPool, type HostRoute } from '@overcast/network/data-access';
import { conflict } from '@overcast/shared/core';
import { addressAt, type Cidr, cidrContains, formatAddress, formatCidr, parseAddress, parseCidr } from '../common/ip-math';
import { invalidInput, invalidOperation } from '../common/request-body';

export interface SubnetRequest {
  ipVersion: 4 | 6;
  cidr: string;
  /** undefined: the first address; null: no gateway. */
  gatewayIp?: string | null;
  allocationPools?: AllocationPool[];
  dnsNameservers?: string[];
  hostRoutes?: HostRoute[];
}

/** A subnet's addressing, checked and completed with Neutron's defaults. */
export interface SubnetPlan {
  cidr: Cidr;
  cidrText: string;
  gatewayIp: string | null;
  allocationPools: AllocationPool[];
  dnsNameservers: string[];
  hostRoutes: HostRoute[];
}

/** The subnet's CIDR, refused unless written exactly as the network it names. */
export function checkCidr(text: string, ipVersion: 4 | 6): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) {
    throw invalidInput('cidr', `'${text}' is not a valid IP subnet`);
  }
  if (cidr.hostBits) {
    throw invalidInput('cidr', `'${text}' isn't a recognized IP subnet cidr, '${formatCidr(cidr)}' is recommended`);
  }
  if (cidr.version !== ipVersion) {
    throw invalidOperation(`Cidr ${text} does not match ip_version ${ipVersion}`);
  }
  // A /32 (or /128) leaves no address to hand out; Neutron refuses prefixes that leave fewer than two.
  if (cidr.size < 4n) {
    throw invalidInput('cidr', `'${text}' is too small a subnet, it must leave room for hosts`);
  }
  return cidr;
}

function addressIn(text: string, attribute: string) {
  const address = parseAddress(text);
  if (!address) {
    throw invalidInput(attribute, `'${text}' is not a valid IP address`);
  }
  return address;
}

/** The addresses a host may never have: the network's own and, in IPv4, the broadcast. */
function reserved(cidr: Cidr, value: bigint): boolean {
  return value === cidr.network || (cidr.version === 4 && value === cidr.network + cidr.size - 1n);
}

/** The whole usable range minus the gateway, split around it (Neutron's default pools). */
function defaultPools(cidr: Cidr, gateway: bigint | undefined): AllocationPool[] {
  const first = cidr.network + 1n;
  const last = cidr.network + cidr.size - (cidr.version === 4 ? 2n : 1n);
  const ranges: [bigint, bigint][] = gateway === undefined || gateway < first || gateway > last ? [[first, last]] : [
    [first, gateway - 1n],
    [gateway + 1n, last],
  ];
  return ranges
    .filter(([start, end]) => start <= end)
    .map(([start, end]) => ({ start: formatAddress({ version: cidr.version, value: start }), end: formatAddress({ version: cidr.version, value: end }) }));
}

function checkPools(cidr: Cidr, pools: AllocationPool[], gateway: bigint | undefined, subnetLabel: string): void {
  const ranges = pools.map((pool) => {
    const start = addressIn(pool.start, 'allocation_pools');
    const end = addressIn(pool.end, 'allocation_pools');
    if (!cidrContains(cidr, start) || !cidrContains(cidr, end) || reserved(cidr, start.value) || reserved(cidr, end.value)) {
      throw badPool(`The allocation pool ${pool.start}-${pool.end} spans beyond the subnet cidr ${formatCidr(cidr)}.`);
    }
    if (start.value > end.value) {
      throw badPool(`The allocation pool ${pool.start}-${pool.end} is not valid.`);
    }
    return { pool, start: start.value, end: end.value };
  });
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (const [index, current] of sorted.entries()) {
    const previous = sorted[index - 1];
    if (previous && current.start <= previous.end) {
      throw conflict(
        `Found overlapping allocation pools: ${previous.pool.start}-${previous.pool.end} and ${current.pool.start}-${current.pool.end} for subnet ${subnetLabel}.`,
        'OverlappingAllocationPools',
      );
    }
  }
  const holding = gateway === undefined ? undefined : ranges.find((range) => gateway >= range.start && gateway <= range.end);
  if (holding && gateway !== undefined) {
    throw conflict(
      `Gateway ip ${formatAddress({ version: cidr.version, value: gateway })} conflicts with allocation pool ${holding.pool.start}-${holding.pool.end}`,
      'GatewayConflictWithAllocationPools',
    );
  }
}

const badPool = (message: string) => invalidOperation(message.replace(/\.$/, ''));

/** Checks a subnet's addressing and fills in what Neutron fills in: the gateway and the pools. */
export function planSubnet(request: SubnetRequest, subnetLabel: string): SubnetPlan {
  const cidr = checkCidr(request.cidr, request.ipVersion);
  let gateway: bigint | undefined;
  if (request.gatewayIp === undefined) {
    gateway = addressAt(cidr, 1n).value;
  } else if (request.gatewayIp !== null) {
    const address = addressIn(request.gatewayIp, 'gateway_ip');
    if (!cidrContains(cidr, address) || reserved(cidr, address.value)) {
      throw invalidOperation('Gateway is not valid on subnet');
    }
    gateway = address.value;
  }
  const allocationPools = request.allocationPools ?? defaultPools(cidr, gateway);
  if (request.allocationPools) {
    checkPools(cidr, allocationPools, gateway, subnetLabel);
  }
  const dnsNameservers = request.dnsNameservers ?? [];
  for (const server of dnsNameservers) {
    addressIn(server, 'dns_nameservers');
  }
  if (new Set(dnsNameservers).size !== dnsNameservers.length) {
    throw invalidInput('dns_nameservers', `Duplicate nameserver in ${JSON.stringify(dnsNameservers)}`);
  }
  const hostRoutes = request.hostRoutes ?? [];
  for (const route of hostRoutes) {
    const destination = parseCidr(route.destination);
    if (!destination || destination.hostBits) {
      throw invalidInput('host_routes', `'${route.destination}' is not a valid IP subnet`);
    }
    addressIn(route.nexthop, 'host_routes');
  }
  return {
    cidr,
    cidrText: formatCidr(cidr),
    gatewayIp: gateway === undefined ? null : formatAddress({ version: cidr.version, value: gateway }),
    allocationPools,
    dnsNameservers,
    hostRoutes,
  };
}
