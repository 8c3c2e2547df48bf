import { type VolumeDriverCapabilities } from '@overcast/block-storage/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A volume agent's backend (Cinder's `host@backend` with its one pool), as it last reported. */
@Entity('backends')
export class BackendEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255 }) host!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 255, name: 'volume_backend_name' }) volumeBackendName!: string;
  @Column('varchar', { length: 255, name: 'availability_zone' }) availabilityZone!: string;
  @Column('varchar', { length: 64 }) driver!: string;
  @Column('varchar', { length: 64, name: 'storage_protocol' }) storageProtocol!: string;
  @Column('jsonb') capabilities!: VolumeDriverCapabilities;
  @Column('double precision', { name: 'total_capacity_gb' }) totalCapacityGb!: number;
  @Column('double precision', { name: 'free_capacity_gb' }) freeCapacityGb!: number;
  @Column('double precision', { name: 'provisioned_capacity_gb' }) provisionedCapacityGb!: number;
  @Column('boolean', { name: 'thin_provisioning' }) thinProvisioning!: boolean;
  @Column('double precision', { name: 'max_over_subscription_ratio' }) maxOverSubscriptionRatio!: number;
  @Column('double precision', { name: 'reserved_percentage' }) reservedPercentage!: number;
  /** GiB of the volumes placed here (Cinder's allocated_capacity_gb); claims move it in a transaction. */
  @Column('integer', { name: 'allocated_capacity_gb' }) allocatedCapacityGb!: number;
  /** Why the agent cannot use it, when it cannot. */
  @Column('varchar', { length: 1024, nullable: true }) problem!: string | null;
  /** An operator's `os-services` disable, with its reason. */
  @Column('boolean') disabled!: boolean;
  @Column('varchar', { length: 255, name: 'disabled_reason', nullable: true }) disabledReason!: string | null;
  @Column('timestamptz', { name: 'reported_at' }) reportedAt!: Date;
  /** When the reporting agent process started: a new value means a restart, and the loss of what it was given. */
  @Column('timestamptz', { name: 'agent_started_at', nullable: true }) agentStartedAt!: Date | null;
  /** The protocol version its agent speaks (its reports'); null: reported before versions were recorded (1.0). */
  @Column('varchar', { length: 16, name: 'bus_version', nullable: true }) busVersion!: string | null;
}
