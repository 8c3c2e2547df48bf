import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 64, name: 'domain_id' }) domainId!: string;
  @Column('boolean') enabled!: boolean;
  @Column('varchar', { length: 64, name: 'default_project_id', nullable: true }) defaultProjectId!: string | null;
  /** Argon2id PHC string; null for users who cannot log in with a password. */
  @Column('text', { name: 'password_hash', nullable: true }) passwordHash!: string | null;
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
  @Column('jsonb', { default: {} }) options!: Record<string, unknown>;
}
