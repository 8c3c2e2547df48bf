import { Column, PrimaryColumn } from 'typeorm';

/** What every Neutron resource carries: id, owner, description, timestamps and a revision number. */
export abstract class StandardAttributes {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255 }) description!: string;
  @Column('integer', { name: 'revision_number' }) revisionNumber!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
