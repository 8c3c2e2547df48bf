import { IpAllocationEntity, type SubnetEntity } from '@overcast/network/data-access';
import { badRequest, conflict } from '@overcast/shared/core';
import { type EntityManager, In } from 'typeorm';
import { addressOf, cidrContains, cidrOf, formatAddress, parseAddress } from '../common/ip-math';

/** IPv6 subnets whose hosts make their own address from their MAC (EUI-64) instead of being handed one. */
export const isAutoAddressSubnet = (subnet: SubnetEntity) => subnet.ipVersion === 6 && (subnet.ipv6AddressMode === 'slaac' || subnet.ipv6AddressMode === 'dhcpv6-stateless');

/** The EUI-64 address a host with `mac` makes for itself in a /64. */
export function eui64Address(subnet: SubnetEntity, mac: string): string {
  const cidr = cidrOf(subnet.cidr);
  // The MAC's first half, ff:fe, its second half, with the universal/local bit flipped.
  const hex = mac.replace(/:/g, '');
  const interfaceId = (BigInt(`0x${hex.slice(0, 6)}fffe${hex.slice(6)}`) ^ (0x02n << 56n));
  return formatAddress({ version: 6, value: cidr.network | interfaceId });
}

/**
 * Addresses on subnets, never the same one twice: the caller's transaction locks the subnet rows
 * first (lockSubnets), so concurrent allocations on one subnet take turns, and the primary key
 * (subnet, address) stands behind that.
 */
export async function lockSubnets(manager: EntityManager, subnetIds: readonly string[]): Promise<void> {
  if (subnetIds.length > 0) {
    await manager.query('SELECT id FROM subnets WHERE id = ANY($1) ORDER BY id FOR UPDATE', [subnetIds]);
  }
}

/** The lowest free address of the subnet's pools; addresses given back are used again. */
export async function nextFreeAddress(manager: EntityManager, subnet: SubnetEntity): Promise<string> {
  const taken = new Set(((await manager.find(IpAllocationEntity, { select: { ipAddress: true }, where: { subnetId: subnet.id } })) as { ipAddress: string }[]).map((row) => addressOf(row.ipAddress).value));
  for (const pool of subnet.allocationPools) {
    const start = addressOf(pool.start);
    const end = addressOf(pool.end).value;
    for (let value = start.value; value <= end; value++) {
      if (!taken.has(value)) {
        return formatAddress({ version: start.version, value });
      }
    }
  }
  throw conflict(`No more IP addresses available on network ${subnet.networkId}.`, 'IpAddressGenerationFailure');
}

/** Checks an address a caller asked for: on the subnet, a host address, and free. Returns it written canonically. */
export async function checkRequestedAddress(manager: EntityManager, subnet: SubnetEntity, requested: string): Promise<string> {
  const address = parseAddress(requested);
  const cidr = cidrOf(subnet.cidr);
  const broadcast = cidr.version === 4 ? cidr.network + cidr.size - 1n : undefined;
  if (!address || !cidrContains(cidr, address) || address.value === cidr.network || address.value === broadcast) {
    throw badRequest(`IP address ${requested} is not a valid IP for the specified subnet.`, 'InvalidIpForSubnet');
  }
  const text = formatAddress(address);
  if (await manager.existsBy(IpAllocationEntity, { subnetId: subnet.id, ipAddress: text })) {
    throw conflict(`IP address ${text} already allocated in subnet ${subnet.id}`, 'IpAddressAlreadyAllocated');
  }
  return text;
}

export async function releaseAddresses(manager: EntityManager, portId: string, subnetIds?: readonly string[]): Promise<void> {
  await manager.delete(IpAllocationEntity, subnetIds ? { portId, subnetId: In([...subnetIds]) } : { portId });
}
