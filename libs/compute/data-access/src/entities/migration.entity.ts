import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { type InstanceFlavor } from './instance.entity';

/**
 * Nova's migration status, in the order a resize or cold migration goes through them:
 * `pre-migrating` (scheduled) → `migrating` (the source stops the guest and hands its disks on) →
 * `post-migrating` → `finished` (the guest runs on the destination, waiting for confirmation) →
 * `confirming` → `confirmed`, or `reverting` → `reverted`; `error` when it failed and was undone.
 */
export type MigrationStatus = 'pre-migrating' | 'migrating' | 'post-migrating' | 'finished' | 'confirming' | 'confirmed' | 'reverting' | 'reverted' | 'error';

/** A disk the source uploaded to the image service for the destination, as an image made for the move. */
export interface MigrationTransfer {
  disk: 'root' | 'ephemeral';
  imageId: string;
}

/** A resize (a new flavor) or cold migration (another host) of an instance: Nova's migration record (its table named apart from TypeORM's own `migrations`). */
@Entity('server_migrations')
export class MigrationEntity {
  /** Nova shows migrations by an integer id. */
  @PrimaryGeneratedColumn('increment') id!: number;
  /** Holds the source host's allocation while the instance holds the destination's (as Nova's placement does), so a revert finds its room. */
  @Column('uuid', { unique: true }) uuid!: string;
  @Column('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('varchar', { length: 16, name: 'migration_type' }) migrationType!: 'resize' | 'migration';
  @Column('varchar', { length: 32 }) status!: MigrationStatus;
  @Column('varchar', { length: 255, name: 'source_compute' }) sourceCompute!: string;
  @Column('uuid', { name: 'source_node' }) sourceNode!: string;
  @Column('varchar', { length: 255, name: 'dest_compute', nullable: true }) destCompute!: string | null;
  @Column('uuid', { name: 'dest_node', nullable: true }) destNode!: string | null;
  @Column('jsonb', { name: 'old_flavor' }) oldFlavor!: InstanceFlavor;
  @Column('jsonb', { name: 'new_flavor' }) newFlavor!: InstanceFlavor;
  /** The server was running (`active`) or stopped: it is so again once confirmed or reverted. */
  @Column('varchar', { length: 32, name: 'old_vm_state' }) oldVmState!: 'active' | 'stopped';
  @Column('jsonb') transfers!: MigrationTransfer[];
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
