import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type NamedRole } from './named-role';

@Entity('application_credentials')
export class ApplicationCredentialEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 64, name: 'user_id' }) userId!: string;
  @Column('varchar', { length: 64, name: 'project_id' }) projectId!: string;
  /** Argon2id PHC string of the secret, which is shown once and never stored. */
  @Column('text', { name: 'secret_hash' }) secretHash!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('boolean') unrestricted!: boolean;
  /** The roles delegated, a subset of the creator's roles on the project at creation. */
  @Column('jsonb') roles!: NamedRole[];
}
