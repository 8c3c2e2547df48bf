import { type ConnectionInfo } from '@overcast/block-storage/contracts';
import { type PowerState } from '@overcast/compute/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Nova's vm_state (nova.compute.vm_states) of the states this service uses. */
export type VmState = 'building' | 'active' | 'stopped' | 'paused' | 'suspended' | 'resized' | 'error' | 'deleted' | 'soft-delete' | 'rescued' | 'shelved';

/** The flavor as the instance got it (Nova embeds a copy: a later flavor change does not touch it). */
export interface InstanceFlavor {
  id: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Record<string, string>;
}

/** One of the instance's ports, as Nova's network info cache keeps it. */
export interface InstancePort {
  portId: string;
  networkId: string;
  /** The network's name, the key of the server's `addresses`. */
  networkName: string;
  macAddress: string;
  fixedIps: { ipAddress: string; subnetId: string }[];
  vifType: string;
  devName: string;
  mtu?: number;
  /** The user brought the port (`networks: [{port}]`): deleting the server leaves it. */
  preserveOnDelete: boolean;
}

/** Why an instance is in ERROR, shown as the server's `fault`. */
export interface InstanceFault {
  code: number;
  message: string;
  details?: string;
  created: string;
}

@Entity('instances')
export class InstanceEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @Column('varchar', { length: 255, name: 'display_name' }) displayName!: string;
  @Column('varchar', { length: 255 }) hostname!: string;
  @Column('varchar', { length: 255, nullable: true }) description!: string | null;
  /** The image booted from; null when booted from a volume. */
  @Column('varchar', { length: 255, name: 'image_ref', nullable: true }) imageRef!: string | null;
  @Column('jsonb') flavor!: InstanceFlavor;
  @Column('varchar', { length: 255, name: 'key_name', nullable: true }) keyName!: string | null;
  @Column('text', { name: 'key_data', nullable: true }) keyData!: string | null;
  /** base64, as the API took it. */
  @Column('text', { name: 'user_data', nullable: true }) userData!: string | null;
  @Column('jsonb') metadata!: Record<string, string>;
  @Column('varchar', { length: 32, name: 'vm_state' }) vmState!: VmState;
  @Column('varchar', { length: 64, name: 'task_state', nullable: true }) taskState!: string | null;
  @Column('smallint', { name: 'power_state' }) powerState!: PowerState;
  /** The host it runs on, once scheduled. */
  @Column('varchar', { length: 255, nullable: true }) host!: string | null;
  @Column('uuid', { name: 'node_id', nullable: true }) nodeId!: string | null;
  @Column('varchar', { length: 255, name: 'availability_zone', nullable: true }) availabilityZone!: string | null;
  @Column('boolean', { name: 'config_drive' }) configDrive!: boolean;
  @Column('jsonb') ports!: InstancePort[];
  /** Security group names, as the request named them. */
  @Column('jsonb', { name: 'security_groups' }) securityGroups!: string[];
  @Column('varchar', { length: 64, name: 'access_ip_v4', nullable: true }) accessIpV4!: string | null;
  @Column('varchar', { length: 64, name: 'access_ip_v6', nullable: true }) accessIpV6!: string | null;
  @Column('boolean') locked!: boolean;
  @Column('varchar', { length: 255, name: 'locked_reason', nullable: true }) lockedReason!: string | null;
  /** Who locked it: `admin` or `owner` (an owner cannot unlock an admin's lock). */
  @Column('varchar', { length: 16, name: 'locked_by', nullable: true }) lockedBy!: 'admin' | 'owner' | null;
  @Column('jsonb', { nullable: true }) fault!: InstanceFault | null;
  @Column('varchar', { length: 255, name: 'reservation_id' }) reservationId!: string;
  @Column('integer', { name: 'launch_index' }) launchIndex!: number;
  @Column('timestamptz', { name: 'launched_at', nullable: true }) launchedAt!: Date | null;
  @Column('timestamptz', { name: 'terminated_at', nullable: true }) terminatedAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
  /** Set when deleted: the row stays for `changes-since` and usage, as Nova's soft-deleted rows do. */
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt!: Date | null;
}

/** A volume on an instance (Nova's block device mapping), with its block-storage attachment. */
@Entity('block_device_mappings')
export class BlockDeviceMappingEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('uuid', { name: 'volume_id' }) volumeId!: string;
  @Column('uuid', { name: 'attachment_id', nullable: true }) attachmentId!: string | null;
  @Column('varchar', { length: 32, name: 'device_name' }) deviceName!: string;
  @Column('integer', { name: 'boot_index', nullable: true }) bootIndex!: number | null;
  @Column('boolean', { name: 'delete_on_termination' }) deleteOnTermination!: boolean;
  @Column('varchar', { length: 255, nullable: true }) tag!: string | null;
  /** What block storage returned for this host (Cinder's connection info), once attached. */
  @Column('jsonb', { name: 'connection_info', nullable: true }) connectionInfo!: ConnectionInfo | null;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}
