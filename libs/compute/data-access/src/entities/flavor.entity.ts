import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A flavor (Nova's instance type): the sizes a server gets. `id` is Nova's `flavorid`, any string the admin chose. */
@Entity('flavors')
export class FlavorEntity {
  @PrimaryColumn('varchar', { length: 255 }) id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('integer') vcpus!: number;
  /** MiB. */
  @Column('integer', { name: 'memory_mb' }) memoryMb!: number;
  /** GiB of root disk; 0 means the image's size. */
  @Column('integer', { name: 'root_gb' }) rootGb!: number;
  @Column('integer', { name: 'ephemeral_gb' }) ephemeralGb!: number;
  /** MiB. */
  @Column('integer', { name: 'swap_mb' }) swapMb!: number;
  @Column('double precision', { name: 'rxtx_factor' }) rxtxFactor!: number;
  @Column('boolean', { name: 'is_public' }) isPublic!: boolean;
  @Column('boolean') disabled!: boolean;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('jsonb', { name: 'extra_specs' }) extraSpecs!: Record<string, string>;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** A project a private flavor is shared with (os-flavor-access). */
@Entity('flavor_projects')
export class FlavorProjectEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'flavor_id' }) flavorId!: string;
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
}
