import { Column, Entity } from 'typeorm';
import { StandardAttributes } from './standard-attributes';

/** A pool of prefixes subnets are carved from (Neutron's subnetpools with their subnetpoolprefixes). */
@Entity('subnetpools')
export class SubnetPoolEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('smallint', { name: 'ip_version' }) ipVersion!: 4 | 6;
  /** Compacted CIDRs, in address order. */
  @Column('text', { array: true }) prefixes!: string[];
  @Column('smallint', { name: 'default_prefixlen' }) defaultPrefixlen!: number;
  @Column('smallint', { name: 'min_prefixlen' }) minPrefixlen!: number;
  @Column('smallint', { name: 'max_prefixlen' }) maxPrefixlen!: number;
  @Column('boolean') shared!: boolean;
  @Column('boolean', { name: 'is_default' }) isDefault!: boolean;
}
