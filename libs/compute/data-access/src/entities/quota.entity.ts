import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A project's limit for one resource, set by an admin; the configured default otherwise. */
@Entity('quotas')
export class QuotaEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @PrimaryColumn('varchar', { length: 64 }) resource!: string;
  @Column('integer', { name: 'hard_limit' }) hardLimit!: number;
}
