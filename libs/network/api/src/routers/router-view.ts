import { type IpAllocationEntity, type PortEntity, type RouterEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const ROUTER_SORT_KEYS = ['id', 'name', 'status', 'admin_state_up', 'project_id', 'tenant_id', 'created_at', 'updated_at'];

export function routerView(router: RouterEntity, gateway: { port: PortEntity; addresses: IpAllocationEntity[] } | undefined, availabilityZones: string[]) {
  return {
    ...standardView(router),
    name: router.name,
    admin_state_up: router.adminStateUp,
    status: router.status,
    external_gateway_info: gateway
      ? {
          network_id: gateway.port.networkId,
          enable_snat: router.enableSnat,
          external_fixed_ips: gateway.addresses.map((ip) => ({ subnet_id: ip.subnetId, ip_address: ip.ipAddress })),
        }
      : null,
    routes: router.routes,
    availability_zone_hints: router.availabilityZoneHints,
    availability_zones: availabilityZones,
  };
}
