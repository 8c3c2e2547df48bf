import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('volume_types')
export class VolumeTypeEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 255, nullable: true }) description!: string | null;
  @Column('boolean', { name: 'is_public' }) isPublic!: boolean;
  @Column('jsonb', { name: 'extra_specs' }) extraSpecs!: Record<string, string>;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** A project allowed to use a private type. */
@Entity('volume_type_projects')
export class VolumeTypeProjectEntity {
  @PrimaryColumn('uuid', { name: 'volume_type_id' }) volumeTypeId!: string;
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
}
