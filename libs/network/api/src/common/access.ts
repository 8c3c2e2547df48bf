import { FloatingIpEntity, NetworkEntity, PortEntity, RouterEntity, SecurityGroupEntity, SecurityGroupRuleEntity, SubnetEntity } from '@overcast/network/data-access';
import { type EntityManager } from 'typeorm';
import { type Caller, resourceNotFound } from './caller';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Reads one resource the caller may see; anything else, a malformed id included, is Neutron's 404. */
async function visible<T extends { projectId: string }>(
  manager: EntityManager,
  entity: new () => T,
  kind: string,
  id: string,
  mayView: (resource: T) => boolean | Promise<boolean>,
  options: { lock?: boolean } = {},
): Promise<T> {
  const resource = isUuid(id)
    ? await manager.findOne(entity, { where: { id } as never, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) })
    : null;
  if (!resource || !(await mayView(resource))) {
    throw resourceNotFound(kind, id);
  }
  return resource;
}

/** A network: the caller's own, a shared or an external one (any, for an admin). */
export function visibleNetwork(manager: EntityManager, caller: Caller, id: string, options?: { lock?: boolean }): Promise<NetworkEntity> {
  return visible(manager, NetworkEntity, 'Network', id, (network) => caller.owns(network) || network.shared || network.external, options);
}

/** A subnet: the caller's own, or one on a shared network. */
export function visibleSubnet(manager: EntityManager, caller: Caller, id: string): Promise<SubnetEntity> {
  return visible(manager, SubnetEntity, 'Subnet', id, async (subnet) => caller.owns(subnet) || (await manager.existsBy(NetworkEntity, { id: subnet.networkId, shared: true })));
}

export function visiblePort(manager: EntityManager, caller: Caller, id: string, options?: { lock?: boolean }): Promise<PortEntity> {
  return visible(manager, PortEntity, 'Port', id, (port) => caller.owns(port), options);
}

export function visibleRouter(manager: EntityManager, caller: Caller, id: string, options?: { lock?: boolean }): Promise<RouterEntity> {
  return visible(manager, RouterEntity, 'Router', id, (router) => caller.owns(router), options);
}

export function visibleFloatingIp(manager: EntityManager, caller: Caller, id: string, options?: { lock?: boolean }): Promise<FloatingIpEntity> {
  return visible(manager, FloatingIpEntity, 'FloatingIP', id, (floatingIp) => caller.owns(floatingIp), options);
}

export function visibleSecurityGroup(manager: EntityManager, caller: Caller, id: string): Promise<SecurityGroupEntity> {
  return visible(manager, SecurityGroupEntity, 'SecurityGroup', id, (group) => caller.owns(group));
}

export function visibleSecurityGroupRule(manager: EntityManager, caller: Caller, id: string): Promise<SecurityGroupRuleEntity> {
  return visible(manager, SecurityGroupRuleEntity, 'SecurityGroupRule', id, (rule) => caller.owns(rule));
}
