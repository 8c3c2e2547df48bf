import { Column, Entity } from 'typeorm';
import { type NetworkType } from '@overcast/network/contracts';
import { StandardAttributes } from './standard-attributes';

@Entity('networks')
export class NetworkEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('boolean', { name: 'admin_state_up' }) adminStateUp!: boolean;
  @Column('varchar', { length: 16 }) status!: string;
  @Column('boolean') shared!: boolean;
  /** `router:external`. */
  @Column('boolean') external!: boolean;
  @Column('varchar', { length: 16, name: 'network_type' }) networkType!: NetworkType;
  @Column('varchar', { length: 64, name: 'physical_network', nullable: true }) physicalNetwork!: string | null;
  @Column('integer', { name: 'segmentation_id', nullable: true }) segmentationId!: number | null;
  @Column('integer') mtu!: number;
  @Column('boolean', { name: 'port_security_enabled' }) portSecurityEnabled!: boolean;
  @Column('text', { array: true, name: 'availability_zone_hints' }) availabilityZoneHints!: string[];
}
