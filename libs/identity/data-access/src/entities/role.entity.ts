import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('roles')
export class RoleEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  /** Null for global roles; set for domain-specific roles. */
  @Column('varchar', { length: 64, name: 'domain_id', nullable: true }) domainId!: string | null;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('jsonb', { default: {} }) options!: Record<string, unknown>;
}

@Entity('implied_roles')
export class ImpliedRoleEntity {
  @PrimaryColumn('varchar', { length: 64, name: 'prior_role_id' }) priorRoleId!: string;
  @PrimaryColumn('varchar', { length: 64, name: 'implied_role_id' }) impliedRoleId!: string;
}
