import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type SnapshotStatus = 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting';

@Entity('snapshots')
export class SnapshotEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @Column('uuid', { name: 'volume_id' }) volumeId!: string;
  @Column('varchar', { length: 255, nullable: true }) name!: string | null;
  @Column('varchar', { length: 255, nullable: true }) description!: string | null;
  /** GiB: the volume's size when it was taken. */
  @Column('integer') size!: number;
  @Column('varchar', { length: 32 }) status!: SnapshotStatus;
  @Column('jsonb') metadata!: Record<string, string>;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
