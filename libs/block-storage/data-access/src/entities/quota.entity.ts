import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A project's own limit for one resource (volumes, gigabytes, snapshots, per-type variants…); the rest are the defaults. */
@Entity('quotas')
export class QuotaEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @PrimaryColumn('varchar', { length: 255 }) resource!: string;
  @Column('integer', { name: 'hard_limit' }) hardLimit!: number;
}
