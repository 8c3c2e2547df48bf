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
  /** UTC to the microsecond without a zone, as Keystone shows it: `2026-11-23T17:54:29.513731`. */
  @Column('text', { name: 'expires_at', nullable: true }) expiresAt!: string | null;
  @Column('boolean') unrestricted!: boolean;
  /** The roles delegated, a subset of the creator's roles on the project at creation. */
  @Column('jsonb') roles!: NamedRole[];
}

/** When an application credential stops working, in epoch milliseconds (undefined: never). */
export function credentialExpiry(credential: ApplicationCredentialEntity): number | undefined {
  return credential.expiresAt === null ? undefined : Date.parse(`${credential.expiresAt}Z`);
}
