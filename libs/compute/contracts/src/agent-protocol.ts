import { type Connector } from '@overcast/block-storage/contracts';
import { type BlockDeviceSpec, type HostInventory, type ImageSource, type InstanceInfo, type InstanceSpec, type PowerState, type VifSpec } from './instance-data';

/** The compute service's topic: compute agents report to it and tell it how operations ended. */
export const COMPUTE_SERVER_TOPIC = 'compute-server';

/**
 * The version of the compute agents' protocol, on both sides: the service serves its topic and an
 * agent its own at it, and an agent reports at it, which tells the service what that agent speaks.
 * The service sends each agent at the older of the two (sendVersion), so during a rolling upgrade
 * a new service and an old agent understand each other.
 */
export const COMPUTE_PROTOCOL_VERSION = '1.0';

/** The topic a compute agent serves on its host. */
export const computeAgentTopic = (host: string) => `compute.${host}`;

/** Bus patterns between the compute service and its agents; payload version 1.0. */
export const COMPUTE_AGENT_PATTERNS = {
  /** agent → server (cast), at start-up, after each change and periodically: a ComputeAgentReport. */
  report: 'compute.agent.report',
  /** agent → server (cast): an InstanceOutcome, once a cast operation has ended. */
  operationDone: 'compute.operation.done',
  /** server → agent (cast) operations; each ends with an InstanceOutcome. */
  build: 'compute.instance.build',
  /** A RebuildRequest: the guest made anew from another image, keeping its NICs and volumes. */
  rebuild: 'compute.instance.rebuild',
  destroy: 'compute.instance.destroy',
  powerOn: 'compute.instance.power-on',
  powerOff: 'compute.instance.power-off',
  reboot: 'compute.instance.reboot',
  pause: 'compute.instance.pause',
  unpause: 'compute.instance.unpause',
  suspend: 'compute.instance.suspend',
  resume: 'compute.instance.resume',
  snapshot: 'compute.instance.snapshot',
  attachVolume: 'compute.instance.attach-volume',
  detachVolume: 'compute.instance.detach-volume',
  attachInterface: 'compute.instance.attach-interface',
  detachInterface: 'compute.instance.detach-interface',
  /**
   * A resize or cold migration, Nova's way: the source host stops the guest and keeps its disks
   * aside (MigrateDisksRequest), the destination makes it again with the new flavor
   * (FinishMigrationRequest); then either the source drops what it kept (confirm) or the
   * destination drops its guest (`dropMigration`, a destroy that leaves kept disks alone) and the
   * source brings back the one it kept (revert).
   */
  migrateDisks: 'compute.instance.migrate-disks',
  finishMigration: 'compute.instance.finish-migration',
  confirmMigration: 'compute.instance.confirm-migration',
  dropMigration: 'compute.instance.drop-migration',
  revertMigration: 'compute.instance.revert-migration',
  /** server → agent (call): an InstanceRequest → ConsoleOutput. */
  consoleOutput: 'compute.instance.console-output',
} as const;

/** The operations that end with an InstanceOutcome. */
export type InstanceOperation =
  | 'build'
  | 'rebuild'
  | 'destroy'
  | 'power-on'
  | 'power-off'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'snapshot'
  | 'attach-volume'
  | 'detach-volume'
  | 'attach-interface'
  | 'detach-interface'
  | 'migrate-disks'
  | 'finish-migration'
  | 'confirm-migration'
  | 'drop-migration'
  | 'revert-migration';

export interface ComputeAgentReport {
  host: string;
  /** When this agent process started (ISO 8601): a new value means work handed to the old one was lost. */
  startedAt: string;
  /** Absent when the hypervisor could not say (the host is then not used). */
  inventory?: HostInventory;
  /** Why the hypervisor is unusable, when it is. */
  problem?: string;
  /** The instances the hypervisor holds and their power states (Nova's power-state sync). */
  instances: InstanceInfo[];
  /** What block storage is told of this host when a volume is attached here (os-brick's connector properties). */
  connector: Connector;
}

/** What every operation names: the instance, and a token when the agent must call the image service. */
export interface InstanceRequest {
  instance: InstanceSpec;
  /** The requester's token, for the image service; never logged. */
  authToken?: string;
}

export interface RebuildRequest extends InstanceRequest {
  /** The server was stopped: it stays so once rebuilt, as in Nova. */
  stopAfter?: boolean;
}

export interface RebootRequest extends InstanceRequest {
  type: 'SOFT' | 'HARD';
}

export interface SnapshotRequest extends InstanceRequest {
  imageId: string;
  diskFormat: 'qcow2' | 'raw';
  /** The image service's `…/v2/images/<id>/file`, to PUT the data to. */
  fileUrl: string;
}

export interface VolumeAttachRequest extends InstanceRequest {
  blockDevice: BlockDeviceSpec;
}

export interface InterfaceRequest extends InstanceRequest {
  vif: VifSpec;
}

/** An instance's local disks that move with it between hosts. */
export type MigratingDisk = 'root' | 'ephemeral';

/** Where a migrating disk's data goes: an image made for the move, which the compute service deletes afterwards. */
export interface DiskUpload {
  disk: MigratingDisk;
  imageId: string;
  /** The image service's `…/v2/images/<id>/file`, to PUT the data to. */
  fileUrl: string;
}

export interface MigrateDisksRequest extends InstanceRequest {
  /**
   * When the instance moves to another host: each local disk's data goes to the image service
   * (as Nova's shelve carries a disk), since hosts share no storage. Absent: it stays on this host.
   */
  uploads?: DiskUpload[];
}

export interface FinishMigrationRequest extends InstanceRequest {
  /** The disks the source uploaded; absent when the source is this host and kept them aside here. */
  transferred?: { disk: MigratingDisk; image: ImageSource }[];
  /** The guest ran before the move: it runs after it. */
  powerOn: boolean;
}

export interface RevertMigrationRequest extends InstanceRequest {
  powerOn: boolean;
}

export interface ConsoleOutput {
  /** The guest's serial console, its last `length` lines when asked. */
  output: string;
}

export interface ConsoleOutputRequest extends InstanceRequest {
  length?: number;
}

/** The name of the error a call fails with when the host does not hold the instance (the server's 404 or 409). */
export const INSTANCE_NOT_FOUND = 'InstanceNotFound';

/** How a cast operation ended: without `error`, it succeeded. */
export interface InstanceOutcome {
  operation: InstanceOperation;
  instanceId: string;
  host: string;
  /** Why it failed, in words a user can act on. */
  error?: string;
  /** The instance's power state once the operation ended, when the hypervisor still holds it. */
  powerState?: PowerState;
  /** attach-volume, detach-volume: the volume. attach-interface, detach-interface: the port. */
  resourceId?: string;
}
