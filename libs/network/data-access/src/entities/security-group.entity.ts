import { Column, Entity, PrimaryColumn } from 'typeorm';
import { StandardAttributes } from './standard-attributes';

@Entity('security_groups')
export class SecurityGroupEntity extends StandardAttributes {
  @Column('varchar', { length: 255 }) name!: string;
  @Column('boolean') stateful!: boolean;
}

@Entity('security_group_rules')
export class SecurityGroupRuleEntity extends StandardAttributes {
  @Column('uuid', { name: 'security_group_id' }) securityGroupId!: string;
  @Column('varchar', { length: 8 }) direction!: 'ingress' | 'egress';
  @Column('varchar', { length: 8 }) ethertype!: 'IPv4' | 'IPv6';
  @Column('varchar', { length: 40, nullable: true }) protocol!: string | null;
  @Column('integer', { name: 'port_range_min', nullable: true }) portRangeMin!: number | null;
  @Column('integer', { name: 'port_range_max', nullable: true }) portRangeMax!: number | null;
  @Column('varchar', { length: 64, name: 'remote_ip_prefix', nullable: true }) remoteIpPrefix!: string | null;
  @Column('uuid', { name: 'remote_group_id', nullable: true }) remoteGroupId!: string | null;
}

/** Each project's `default` group, made on its first use (Neutron's default_security_group table). */
@Entity('default_security_groups')
export class DefaultSecurityGroupEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('uuid', { name: 'security_group_id' }) securityGroupId!: string;
}
