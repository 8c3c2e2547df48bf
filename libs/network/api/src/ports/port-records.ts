import { AgentEntity, IpAllocationEntity, type PortEntity, PortSecurityGroupEntity } from '@overcast/network/data-access';
import { type EntityManager, In } from 'typeorm';
import { onlyView } from '../common/standard-view';
import { portView } from './port-view';
import { groupBy } from '../common/group-by';

/** Views of many ports with three queries in all: their addresses, their groups, the agents. */
export async function portViews(manager: EntityManager, ports: PortEntity[], isAdmin: boolean): Promise<Record<string, unknown>[]> {
  if (ports.length === 0) {
    return [];
  }
  const ids = ports.map((port) => port.id);
  const addresses = groupBy(await manager.find(IpAllocationEntity, { where: { portId: In(ids) }, order: { ipAddress: 'ASC' } }), (ip) => ip.portId);
  const groups = groupBy(await manager.find(PortSecurityGroupEntity, { where: { portId: In(ids) } }), (link) => link.portId);
  const agents = isAdmin ? await manager.find(AgentEntity) : [];
  return ports.map((port) =>
    portView(port, { addresses: addresses.get(port.id) ?? [], securityGroupIds: (groups.get(port.id) ?? []).map((link) => link.securityGroupId), agents }, isAdmin),
  );
}

export async function portViewOf(manager: EntityManager, port: PortEntity, isAdmin: boolean): Promise<Record<string, unknown>> {
  return onlyView(await portViews(manager, [port], isAdmin));
}
