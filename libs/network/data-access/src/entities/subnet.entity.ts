import { Column, Entity } from 'typeorm';
import { StandardAttributes } from './standard-attributes';

export interface AllocationPool {
  start: string;
  end: string;
}

export interface HostRoute {
  destination: string;
  nexthop: string;
}

@Entity('subnets')
export class SubnetEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('uuid', { name: 'network_id' }) networkId!: string;
  @Column('smallint', { name: 'ip_version' }) ipVersion!: 4 | 6;
  @Column('varchar', { length: 64 }) cidr!: string;
  @Column('varchar', { length: 64, name: 'gateway_ip', nullable: true }) gatewayIp!: string | null;
  @Column('boolean', { name: 'enable_dhcp' }) enableDhcp!: boolean;
  @Column('jsonb', { name: 'allocation_pools' }) allocationPools!: AllocationPool[];
  @Column('text', { array: true, name: 'dns_nameservers' }) dnsNameservers!: string[];
  @Column('jsonb', { name: 'host_routes' }) hostRoutes!: HostRoute[];
  @Column('varchar', { length: 32, name: 'ipv6_address_mode', nullable: true }) ipv6AddressMode!: string | null;
  @Column('varchar', { length: 32, name: 'ipv6_ra_mode', nullable: true }) ipv6RaMode!: string | null;
  /** The pool its CIDR was allocated from, if any. */
  @Column('uuid', { name: 'subnetpool_id', nullable: true }) subnetpoolId!: string | null;
}
