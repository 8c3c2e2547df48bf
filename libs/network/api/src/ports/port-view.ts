import { type AgentEntity, type IpAllocationEntity, type NetworkEntity, type PortEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const PORT_SORT_KEYS = ['id', 'name', 'network_id', 'mac_address', 'status', 'admin_state_up', 'device_id', 'device_owner', 'project_id', 'tenant_id', 'created_at', 'updated_at', 'binding:host_id'];

/** What a port's view needs beside the row: its addresses, its groups and the agents (for the binding). */
export interface PortDetails {
  addresses: IpAllocationEntity[];
  securityGroupIds: string[];
  agents: AgentEntity[];
  /** The port's network, for an admin's view: its segment decides whether the host can bind it. */
  network?: NetworkEntity;
}

/** Whether the host's agent reported it can wire the network's segment (its type, and its physnet). */
function canWire(agent: AgentEntity, network: NetworkEntity | undefined): boolean {
  const types = agent.configurations['network_types'];
  const physnets = agent.configurations['physical_networks'];
  if (!network || !Array.isArray(types) || !types.includes(network.networkType)) {
    return false;
  }
  return network.physicalNetwork === null || (Array.isArray(physnets) && physnets.includes(network.physicalNetwork));
}

/** How the host's agent wires the port, as Nova reads it to plug the instance (Neutron's vif_type/vif_details). */
function binding(port: PortEntity, agents: AgentEntity[], network: NetworkEntity | undefined): { vifType: string; vifDetails: Record<string, unknown> } {
  if (port.bindingHostId === '') {
    return { vifType: 'unbound', vifDetails: {} };
  }
  const agent = agents.find((candidate) => candidate.host === port.bindingHostId);
  if (!agent || !canWire(agent, network)) {
    return { vifType: 'binding_failed', vifDetails: {} };
  }
  switch (agent.configurations['driver']) {
    case 'linuxbridge':
      return { vifType: 'bridge', vifDetails: { port_filter: true, connectivity: 'l2', bridge_name: `brq${port.networkId.slice(0, 11)}` } };
    case 'ovs':
      return { vifType: 'ovs', vifDetails: { port_filter: true, connectivity: 'l2', bridge_name: 'br-int', datapath_type: 'netdev', ovs_hybrid_plug: false } };
    default:
      return { vifType: 'binding_failed', vifDetails: {} };
  }
}

/** The binding as only an admin (and compute, acting as one) sees it. */
const ADMIN_ATTRIBUTES = ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details'];

export function withoutAdminAttributes(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).filter(([key]) => !ADMIN_ATTRIBUTES.includes(key)));
}

export function portView(port: PortEntity, details: PortDetails, isAdmin: boolean) {
  const view: Record<string, unknown> = {
    ...standardView(port),
    name: port.name,
    network_id: port.networkId,
    mac_address: port.macAddress,
    admin_state_up: port.adminStateUp,
    status: port.status,
    device_id: port.deviceId,
    device_owner: port.deviceOwner,
    fixed_ips: details.addresses.map((ip) => ({ subnet_id: ip.subnetId, ip_address: ip.ipAddress })),
    allowed_address_pairs: port.allowedAddressPairs,
    security_groups: details.securityGroupIds,
    port_security_enabled: port.portSecurityEnabled,
    'binding:vnic_type': port.bindingVnicType,
  };
  if (!isAdmin) {
    return view;
  }
  const { vifType, vifDetails } = binding(port, details.agents, details.network);
  return { ...view, 'binding:host_id': port.bindingHostId, 'binding:profile': port.bindingProfile, 'binding:vif_type': vifType, 'binding:vif_details': vifDetails };
}
