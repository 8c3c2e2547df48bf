import { type HostInventory } from '@overcast/compute/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A compute host as its agent last reported it (Nova's compute node and service in one). */
@Entity('compute_nodes')
export class ComputeNodeEntity {
  /** Also the hypervisor's id in os-hypervisors. */
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255 }) host!: string;
  @Column('varchar', { length: 255, name: 'availability_zone' }) availabilityZone!: string;
  /** The inventory the agent reported; null when its hypervisor could not say. */
  @Column('jsonb', { nullable: true }) inventory!: HostInventory | null;
  /** Why the hypervisor is unusable, when it is. */
  @Column('varchar', { length: 1024, nullable: true }) problem!: string | null;
  /** An operator's `os-services` disable, with its reason. */
  @Column('boolean') disabled!: boolean;
  @Column('varchar', { length: 255, name: 'disabled_reason', nullable: true }) disabledReason!: string | null;
  @Column('boolean', { name: 'forced_down' }) forcedDown!: boolean;
  @Column('timestamptz', { name: 'reported_at' }) reportedAt!: Date;
  /** When the reporting agent process started: a new value means a restart, and the loss of what it was given. */
  @Column('timestamptz', { name: 'agent_started_at' }) agentStartedAt!: Date;
  /** The protocol version its agent speaks (its reports'); null: reported before versions were recorded (1.0). */
  @Column('varchar', { length: 16, name: 'bus_version', nullable: true }) busVersion!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** What an instance holds of a host (placement's allocation); a claim inserts it under the host's row lock. */
@Entity('allocations')
export class AllocationEntity {
  /** The consumer: an instance, or a migration holding the source host's share during a resize (as placement's consumers are). */
  @PrimaryColumn('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('uuid', { name: 'node_id' }) nodeId!: string;
  @Column('integer') vcpus!: number;
  @Column('integer', { name: 'memory_mb' }) memoryMb!: number;
  @Column('integer', { name: 'disk_gb' }) diskGb!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
