import { Column, Entity } from 'typeorm';
import { type HostRoute } from './subnet.entity';
import { StandardAttributes } from './standard-attributes';

/** A router; its interfaces are ports owned by it (`network:router_interface`), its gateway one port too. */
@Entity('routers')
export class RouterEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('boolean', { name: 'admin_state_up' }) adminStateUp!: boolean;
  @Column('varchar', { length: 16 }) status!: string;
  @Column('uuid', { name: 'gw_port_id', nullable: true }) gatewayPortId!: string | null;
  @Column('boolean', { name: 'enable_snat' }) enableSnat!: boolean;
  @Column('jsonb') routes!: HostRoute[];
  @Column('text', { array: true, name: 'availability_zone_hints' }) availabilityZoneHints!: string[];
}

@Entity('floatingips')
export class FloatingIpEntity extends StandardAttributes {
  @Column('uuid', { name: 'floating_network_id' }) floatingNetworkId!: string;
  @Column('varchar', { length: 64, name: 'floating_ip_address' }) floatingIpAddress!: string;
  @Column('uuid', { name: 'floating_port_id' }) floatingPortId!: string;
  @Column('uuid', { name: 'fixed_port_id', nullable: true }) fixedPortId!: string | null;
  @Column('varchar', { length: 64, name: 'fixed_ip_address', nullable: true }) fixedIpAddress!: string | null;
  @Column('uuid', { name: 'router_id', nullable: true }) routerId!: string | null;
  @Column('varchar', { length: 16 }) status!: string;
}
