import { type SubnetEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const SUBNET_SORT_KEYS = ['id', 'name', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'project_id', 'tenant_id', 'created_at', 'updated_at'];

export function subnetView(subnet: SubnetEntity) {
  return {
    ...standardView(subnet),
    name: subnet.name,
    network_id: subnet.networkId,
    ip_version: subnet.ipVersion,
    cidr: subnet.cidr,
    gateway_ip: subnet.gatewayIp,
    enable_dhcp: subnet.enableDhcp,
    allocation_pools: subnet.allocationPools,
    dns_nameservers: subnet.dnsNameservers,
    host_routes: subnet.hostRoutes,
    ipv6_address_mode: subnet.ipv6AddressMode,
    ipv6_ra_mode: subnet.ipv6RaMode,
    subnetpool_id: subnet.subnetpoolId,
    service_types: [],
  };
}
