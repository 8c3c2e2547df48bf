import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('projects')
export class ProjectEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('varchar', { length: 64, name: 'domain_id' }) domainId!: string;
  @Column('varchar', { length: 64, name: 'parent_id', nullable: true }) parentId!: string | null;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('boolean') enabled!: boolean;
  @Column('text', { array: true, default: [] }) tags!: string[];
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
}
