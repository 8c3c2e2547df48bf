import { type NetworkEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const NETWORK_SORT_KEYS = ['id', 'name', 'status', 'admin_state_up', 'shared', 'mtu', 'project_id', 'tenant_id', 'created_at', 'updated_at', 'router:external'];

/** A network as `GET /v2.0/networks/{id}` shows it; the segment only to an admin. */
export function networkView(network: NetworkEntity, subnetIds: string[], availabilityZones: string[], isAdmin: boolean) {
  const view: Record<string, unknown> = {
    ...standardView(network),
    name: network.name,
    admin_state_up: network.adminStateUp,
    status: network.status,
    subnets: subnetIds,
    shared: network.shared,
    'router:external': network.external,
    mtu: network.mtu,
    port_security_enabled: network.portSecurityEnabled,
    availability_zone_hints: network.availabilityZoneHints,
    availability_zones: availabilityZones,
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
  };
  if (isAdmin) {
    view['provider:network_type'] = network.networkType;
    view['provider:physical_network'] = network.physicalNetwork;
    view['provider:segmentation_id'] = network.segmentationId;
  }
  return view;
}
