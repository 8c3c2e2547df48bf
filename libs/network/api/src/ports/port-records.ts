import { AgentEntity, IpAllocationEntity, NetworkEntity, type PortEntity, PortSecurityGroupEntity } from '@overcast/network/data-access';
import { type EntityManager, In } from 'typeorm';
import { groupBy } from '../common/group-by';
import { onlyView } from '../common/standard-view';
import { portView } from './port-view';

/** Views of many ports with a few queries in all: their addresses and groups, and for an admin the agents and networks. */
export async function portViews(manager: EntityManager, ports: PortEntity[], isAdmin: boolean): Promise<Record<string, unknown>[]> {
  if (ports.length === 0) {
    return [];
  }
  const ids = ports.map((port) => port.id);
  const addresses = groupBy(await manager.find(IpAllocationEntity, { where: { portId: In(ids) }, order: { ipAddress: 'ASC' } }), (ip) => ip.portId);
  const groups = groupBy(await manager.find(PortSecurityGroupEntity, { where: { portId: In(ids) } }), (link) => link.portId);
  const agents = isAdmin ? await manager.find(AgentEntity) : [];
  const networks = new Map(isAdmin ? (await manager.findBy(NetworkEntity, { id: In([...new Set(ports.map((port) => port.networkId))]) })).map((network) => [network.id, network]) : []);
  return ports.map((port) =>
    portView(
      port,
      { addresses: addresses.get(port.id) ?? [], securityGroupIds: (groups.get(port.id) ?? []).map((link) => link.securityGroupId), agents, network: networks.get(port.networkId) },
      isAdmin,
    ),
  );
}

export async function portViewOf(manager: EntityManager, port: PortEntity, isAdmin: boolean): Promise<Record<string, unknown>> {
  return onlyView(await portViews(manager, [port], isAdmin));
}
