import { Column, Entity, PrimaryColumn } from 'typeorm';
import { StandardAttributes } from './standard-attributes';

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

export type BindingProfile = Record<string, string | number | boolean | null>;

@Entity('ports')
export class PortEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('uuid', { name: 'network_id' }) networkId!: string;
  @Column('varchar', { length: 17, name: 'mac_address' }) macAddress!: string;
  @Column('boolean', { name: 'admin_state_up' }) adminStateUp!: boolean;
  @Column('varchar', { length: 16 }) status!: string;
  @Column('varchar', { length: 255, name: 'device_id' }) deviceId!: string;
  @Column('varchar', { length: 255, name: 'device_owner' }) deviceOwner!: string;
  @Column('boolean', { name: 'port_security_enabled' }) portSecurityEnabled!: boolean;
  @Column('jsonb', { name: 'allowed_address_pairs' }) allowedAddressPairs!: AddressPair[];
  @Column('varchar', { length: 255, name: 'binding_host_id' }) bindingHostId!: string;
  @Column('varchar', { length: 64, name: 'binding_vnic_type' }) bindingVnicType!: string;
  /** Scalars only: what compute and the agents put there (a host's namespace, a PCI slot…) is flat. */
  @Column('jsonb', { name: 'binding_profile' }) bindingProfile!: BindingProfile;
}

/** One fixed IP of a port; the primary key is what keeps an address from being handed out twice. */
@Entity('ip_allocations')
export class IpAllocationEntity {
  @PrimaryColumn('uuid', { name: 'subnet_id' }) subnetId!: string;
  @PrimaryColumn('varchar', { length: 64, name: 'ip_address' }) ipAddress!: string;
  @Column('uuid', { name: 'port_id' }) portId!: string;
  @Column('uuid', { name: 'network_id' }) networkId!: string;
}

@Entity('port_security_groups')
export class PortSecurityGroupEntity {
  @PrimaryColumn('uuid', { name: 'port_id' }) portId!: string;
  @PrimaryColumn('uuid', { name: 'security_group_id' }) securityGroupId!: string;
}
