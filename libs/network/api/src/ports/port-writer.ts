import { type BindingProfile, IpAllocationEntity, type NetworkEntity, PortEntity, PortSecurityGroupEntity, SubnetEntity, type AddressPair } from '@overcast/network/data-access';
import { badRequest, conflict } from '@overcast/shared/core';
import { isUniqueViolation } from '@overcast/shared/db';
import { randomBytes, randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Change } from '../common/changes';
import { cidrContains, cidrOf, formatAddress, parseAddress } from '../common/ip-math';
import { newStandardAttributes, touch } from '../common/standard-view';
import { checkRequestedAddress, eui64Address, isAutoAddressSubnet, lockSubnets, nextFreeAddress, releaseAddresses } from './ipam';
import { portViewOf } from './port-records';

/** One entry of a port's `fixed_ips` as asked: a subnet, an address, or both. */
export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

export interface NewPort {
  network: NetworkEntity;
  projectId: string;
  name?: string;
  description?: string;
  macAddress?: string;
  adminStateUp?: boolean;
  deviceId?: string;
  deviceOwner?: string;
  /** undefined: Neutron's default addressing; [] no address at all. */
  fixedIps?: FixedIpRequest[];
  securityGroupIds: string[];
  portSecurityEnabled: boolean;
  allowedAddressPairs?: AddressPair[];
  bindingHostId?: string;
  bindingProfile?: BindingProfile;
  bindingVnicType?: string;
}

/** Neutron's OUI for the MACs it makes. */
const MAC_PREFIX = 'fa:16:3e';
const randomMac = () => `${MAC_PREFIX}:${[...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;

/** The addresses a port asks for, each resolved to a subnet of the port's network. */
async function resolveRequests(manager: EntityManager, networkId: string, requests: FixedIpRequest[] | undefined): Promise<{ subnet: SubnetEntity; ipAddress?: string }[]> {
  const subnets = await manager.find(SubnetEntity, { where: { networkId }, order: { createdAt: 'ASC', id: 'ASC' } });
  if (requests === undefined) {
    // Neutron's default: one IPv4 address, one stateful IPv6 address, and every SLAAC subnet's.
    const v4 = subnets.find((subnet) => subnet.ipVersion === 4);
    const v6 = subnets.find((subnet) => subnet.ipVersion === 6 && !isAutoAddressSubnet(subnet));
    return [v4, v6, ...subnets.filter(isAutoAddressSubnet)].filter((subnet): subnet is SubnetEntity => subnet !== undefined).map((subnet) => ({ subnet }));
  }
  return requests.map((request) => {
    if (request.subnet_id !== undefined) {
      const subnet = subnets.find((candidate) => candidate.id === request.subnet_id);
      if (!subnet) {
        throw badRequest(`Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${request.subnet_id}.`, 'InvalidInput');
      }
      return { subnet, ipAddress: request.ip_address };
    }
    const address = request.ip_address === undefined ? undefined : parseAddress(request.ip_address);
    const subnet = address && subnets.find((candidate) => cidrContains(cidrOf(candidate.cidr), address));
    if (!subnet || request.ip_address === undefined) {
      throw badRequest(`IP address ${request.ip_address ?? ''} is not a valid IP for any subnet on network ${networkId}.`, 'InvalidIpForNetwork');
    }
    return { subnet, ipAddress: request.ip_address };
  });
}

/** Gives the port the addresses asked for, checking each; the subnets are locked while it does. */
export async function allocateAddresses(manager: EntityManager, port: PortEntity, requests: FixedIpRequest[] | undefined): Promise<void> {
  const wanted = await resolveRequests(manager, port.networkId, requests);
  await lockSubnets(manager, [...new Set(wanted.map((entry) => entry.subnet.id))]);
  for (const { subnet, ipAddress } of wanted) {
    const address = ipAddress !== undefined ? await checkRequestedAddress(manager, subnet, ipAddress) : isAutoAddressSubnet(subnet) ? eui64Address(subnet, port.macAddress) : await nextFreeAddress(manager, subnet);
    try {
      await manager.insert(IpAllocationEntity, { subnetId: subnet.id, ipAddress: address, portId: port.id, networkId: port.networkId });
    } catch (error) {
      throw isUniqueViolation(error) ? conflict(`IP address ${address} already allocated in subnet ${subnet.id}`, 'IpAddressAlreadyAllocated') : error;
    }
  }
}

/** Replaces a port's addresses: those asked for again stay, the rest go back, new ones are allocated. */
export async function replaceAddresses(manager: EntityManager, port: PortEntity, requests: FixedIpRequest[]): Promise<void> {
  const current = await manager.find(IpAllocationEntity, { where: { portId: port.id } });
  const kept = new Set<IpAllocationEntity>();
  const fresh: FixedIpRequest[] = [];
  for (const request of requests) {
    const match = current.find(
      (ip) => !kept.has(ip) && (request.ip_address === undefined ? ip.subnetId === request.subnet_id : ip.ipAddress === canonical(request.ip_address) && (request.subnet_id ?? ip.subnetId) === ip.subnetId),
    );
    if (match) {
      kept.add(match);
    } else {
      fresh.push(request);
    }
  }
  const released = current.filter((ip) => !kept.has(ip));
  for (const ip of released) {
    await manager.delete(IpAllocationEntity, { subnetId: ip.subnetId, ipAddress: ip.ipAddress });
  }
  await allocateAddresses(manager, port, fresh);
}

/** An address as the allocations table writes it, for comparison; text that is no address stays as it is. */
function canonical(text: string): string {
  const address = parseAddress(text);
  return address ? formatAddress(address) : text;
}

/** A MAC no port has yet (a clash of random MACs is rare, but not at a thousand ports). */
async function freeMac(manager: EntityManager): Promise<string> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const mac = randomMac();
    if (!(await manager.existsBy(PortEntity, { macAddress: mac }))) {
      return mac;
    }
  }
  throw conflict('Unable to generate a unique mac address.', 'MacAddressGenerationFailure');
}

/** Creates a port with its MAC, addresses and groups, all in the caller's transaction. */
export async function insertPort(manager: EntityManager, spec: NewPort): Promise<PortEntity> {
  const port = manager.create(PortEntity, {
    id: randomUUID(),
    ...newStandardAttributes(spec.projectId, spec.description),
    name: spec.name ?? '',
    networkId: spec.network.id,
    macAddress: spec.macAddress?.toLowerCase() ?? (await freeMac(manager)),
    adminStateUp: spec.adminStateUp ?? true,
    status: 'DOWN',
    deviceId: spec.deviceId ?? '',
    deviceOwner: spec.deviceOwner ?? '',
    portSecurityEnabled: spec.portSecurityEnabled,
    allowedAddressPairs: [],
    bindingHostId: spec.bindingHostId ?? '',
    bindingVnicType: spec.bindingVnicType ?? 'normal',
    bindingProfile: spec.bindingProfile ?? {},
  });
  port.allowedAddressPairs = (spec.allowedAddressPairs ?? []).map((pair) => ({ ip_address: pair.ip_address, mac_address: pair.mac_address || port.macAddress }));
  try {
    await manager.insert(PortEntity, port);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict(`Unable to complete operation for network ${spec.network.id}. The mac address ${port.macAddress} is in use.`, 'MacAddressInUse');
    }
    throw error;
  }
  await allocateAddresses(manager, port, spec.fixedIps);
  await setSecurityGroups(manager, port.id, spec.securityGroupIds);
  return port;
}

export async function setSecurityGroups(manager: EntityManager, portId: string, groupIds: readonly string[]): Promise<void> {
  await manager.delete(PortSecurityGroupEntity, { portId });
  if (groupIds.length > 0) {
    await manager.insert(
      PortSecurityGroupEntity,
      [...new Set(groupIds)].map((securityGroupId) => ({ portId, securityGroupId })),
    );
  }
}

/**
 * Saves a changed port as its next revision, in the caller's transaction, and returns the change to
 * hand to the ChangeFeed once that commits: what tells the port's listeners (bus, agents) it changed.
 */
export async function savePortUpdate(manager: EntityManager, port: PortEntity): Promise<Change> {
  await manager.save(touch(port));
  return { resource: 'port', action: 'update', view: await portViewOf(manager, port, true) };
}

/** Deletes a port and gives back its addresses. */
export async function removePort(manager: EntityManager, portId: string): Promise<void> {
  await releaseAddresses(manager, portId);
  await manager.delete(PortEntity, { id: portId });
}
