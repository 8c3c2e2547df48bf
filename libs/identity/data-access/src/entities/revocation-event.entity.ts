import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('revocation_events')
export class RevocationEventEntity {
  @PrimaryGeneratedColumn('increment') id!: number;
  @Column('varchar', { length: 64, name: 'user_id', nullable: true }) userId!: string | null;
  @Column('varchar', { length: 64, name: 'project_id', nullable: true }) projectId!: string | null;
  @Column('varchar', { length: 64, name: 'domain_id', nullable: true }) domainId!: string | null;
  @Column('varchar', { length: 64, name: 'audit_id', nullable: true }) auditId!: string | null;
  @Column('varchar', { length: 64, name: 'audit_chain_id', nullable: true }) auditChainId!: string | null;
  @Column('varchar', { length: 64, name: 'application_credential_id', nullable: true }) applicationCredentialId!: string | null;
  @Column('timestamptz', { name: 'issued_before' }) issuedBefore!: Date;
  @Column('timestamptz', { name: 'revoked_at' }) revokedAt!: Date;
}
