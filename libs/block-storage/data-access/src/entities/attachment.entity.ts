import { type ConnectionInfo, type Connector } from '@overcast/block-storage/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** reserved (no connector yet) → attaching (connection made) → attached (completed); detached once deleted. */
export type AttachmentStatus = 'reserved' | 'attaching' | 'attached' | 'detached';

@Entity('attachments')
export class AttachmentEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'volume_id' }) volumeId!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'instance_uuid', nullable: true }) instanceUuid!: string | null;
  @Column('varchar', { length: 255, name: 'attached_host', nullable: true }) attachedHost!: string | null;
  @Column('varchar', { length: 255, nullable: true }) mountpoint!: string | null;
  @Column('varchar', { length: 2, name: 'attach_mode' }) attachMode!: 'rw' | 'ro';
  @Column('varchar', { length: 16, name: 'attach_status' }) status!: AttachmentStatus;
  @Column('jsonb', { nullable: true }) connector!: Connector | null;
  @Column('jsonb', { name: 'connection_info', nullable: true }) connectionInfo!: ConnectionInfo | null;
  @Column('timestamptz', { name: 'attach_time', nullable: true }) attachTime!: Date | null;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
