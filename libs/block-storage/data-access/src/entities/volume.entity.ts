import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Cinder's volume states (cinder.objects.fields.VolumeStatus) that this service uses. */
export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'reserved'
  | 'attaching'
  | 'in-use'
  | 'detaching'
  | 'extending'
  | 'uploading'
  | 'downloading'
  | 'deleting'
  | 'error'
  | 'error_deleting'
  | 'error_extending'
  | 'maintenance';

@Entity('volumes')
export class VolumeEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @Column('varchar', { length: 255, nullable: true }) name!: string | null;
  @Column('varchar', { length: 255, nullable: true }) description!: string | null;
  /** GiB. */
  @Column('integer') size!: number;
  @Column('varchar', { length: 32 }) status!: VolumeStatus;
  @Column('varchar', { length: 16, name: 'attach_status' }) attachStatus!: 'attached' | 'detached';
  @Column('varchar', { length: 32, name: 'migration_status', nullable: true }) migrationStatus!: string | null;
  @Column('uuid', { name: 'volume_type_id' }) volumeTypeId!: string;
  @Column('varchar', { length: 255, name: 'availability_zone' }) availabilityZone!: string;
  /** `host@backend#pool` once scheduled. */
  @Column('varchar', { length: 255, nullable: true }) host!: string | null;
  /** The scheduled backend's row, whose allocated capacity includes this volume. */
  @Column('uuid', { name: 'backend_id', nullable: true }) backendId!: string | null;
  @Column('uuid', { name: 'snapshot_id', nullable: true }) snapshotId!: string | null;
  @Column('uuid', { name: 'source_volid', nullable: true }) sourceVolid!: string | null;
  /** Glance properties of the image the volume was made from (`volume_image_metadata`). */
  @Column('jsonb', { name: 'image_metadata', nullable: true }) imageMetadata!: Record<string, string> | null;
  @Column('boolean') bootable!: boolean;
  @Column('boolean') multiattach!: boolean;
  /** Cinder keeps it in the admin metadata as `readonly` (absent until first set) and shows it in `metadata`. */
  @Column('boolean', { name: 'read_only', nullable: true }) readOnly!: boolean | null;
  @Column('jsonb') metadata!: Record<string, string>;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'launched_at', nullable: true }) launchedAt!: Date | null;
}
