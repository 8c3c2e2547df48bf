import { type BackendCapacity, type Connector, type SnapshotSpec, type VolumeDriverCapabilities, type VolumeSpec } from './volume-data';

/** The block-storage service's topic: volume agents report to it and tell it how operations ended. */
export const VOLUME_SERVER_TOPIC = 'block-storage-server';

/**
 * The version of the volume agents' protocol, on both sides: the service serves its topic and an
 * agent its own at it, and an agent reports at it, which tells the service what that agent speaks.
 * The service sends each agent at the older of the two (sendVersion), so during a rolling upgrade
 * a new service and an old agent understand each other. 1.1: the report's `startedAt`.
 */
export const VOLUME_PROTOCOL_VERSION = '1.1';

/** The topic a volume agent serves on its host. */
export const volumeAgentTopic = (host: string) => `volume.${host}`;

/** Bus patterns between the block-storage service and its volume agents; payload version 1.0, the report 1.1 (`startedAt`). */
export const VOLUME_AGENT_PATTERNS = {
  /** agent → server (cast), at start-up and then periodically: a VolumeAgentReport. */
  report: 'volume.agent.report',
  /** agent → server (cast): an OperationOutcome, once a cast operation has ended. */
  operationDone: 'volume.operation.done',
  /** server → agent (cast) operations; each ends with an OperationOutcome. */
  createVolume: 'volume.volume.create',
  deleteVolume: 'volume.volume.delete',
  extendVolume: 'volume.volume.extend',
  uploadToImage: 'volume.volume.upload-image',
  createSnapshot: 'volume.snapshot.create',
  deleteSnapshot: 'volume.snapshot.delete',
  /** server → agent (call): a ConnectionRequest → ConnectionInfo. */
  initializeConnection: 'volume.connection.initialize',
  /** server → agent (call): a ConnectionRequest → nothing. */
  terminateConnection: 'volume.connection.terminate',
} as const;

/** The operations that end with an OperationOutcome. */
export type VolumeOperation = 'volume.create' | 'volume.delete' | 'volume.extend' | 'volume.upload-image' | 'snapshot.create' | 'snapshot.delete';

/** One backend of an agent (Cinder's `host@backend`), with what the scheduler needs to place volumes. */
export interface BackendReport {
  /** The backend's name on its host: volumes live at `<host>@<name>`. */
  name: string;
  /** What volume types select it by (extra spec `volume_backend_name`). */
  volumeBackendName: string;
  driver: string;
  storageProtocol: string;
  availabilityZone: string;
  capabilities: VolumeDriverCapabilities;
  /** Absent when the backend could not say (it is then not used). */
  capacity?: BackendCapacity;
  /** Why the backend is unusable, when it is. */
  problem?: string;
}

export interface VolumeAgentReport {
  host: string;
  backends: BackendReport[];
  /**
   * When this agent process started (ISO 8601). Operations run at most once: work the server
   * handed to an earlier process of the host and still waits for was lost with it. Absent from
   * agents before 1.1, which are then only known lost once they stop reporting.
   */
  startedAt?: string;
}

/** Image data the agent fetches with the requester's token. */
export interface ImageReference {
  id: string;
  size: number;
  diskFormat: string;
  locations: string[];
  /** The image service's `…/v2/images/<id>/file`. */
  fileUrl: string;
}

/** Where a new volume's data comes from. */
export type VolumeSource =
  | { kind: 'blank' }
  | { kind: 'snapshot'; snapshot: SnapshotSpec }
  | { kind: 'volume'; volume: VolumeSpec }
  | { kind: 'image'; image: ImageReference };

/** What every operation names: the backend on the agent's host, and a token when the agent must call the image service. */
interface OperationRequest {
  backend: string;
  /** The requester's token, for the image service; never logged. */
  authToken?: string;
}

export interface CreateVolumeRequest extends OperationRequest {
  volume: VolumeSpec;
  source: VolumeSource;
}

export interface VolumeRequest extends OperationRequest {
  volume: VolumeSpec;
}

export interface ExtendVolumeRequest extends OperationRequest {
  volume: VolumeSpec;
  newSizeGb: number;
}

export interface UploadToImageRequest extends OperationRequest {
  volume: VolumeSpec;
  imageId: string;
  diskFormat: 'raw' | 'qcow2';
  /** The image service's `…/v2/images/<id>/file`, to PUT the data to. */
  fileUrl: string;
}

export interface SnapshotRequest extends OperationRequest {
  snapshot: SnapshotSpec;
}

export interface ConnectionRequest extends OperationRequest {
  volume: VolumeSpec;
  connector: Connector;
}

/** How a cast operation ended: without `error`, it succeeded. */
export interface OperationOutcome {
  operation: VolumeOperation;
  /** The volume's or the snapshot's id. */
  id: string;
  host: string;
  backend: string;
  /** Why it failed, in words a user can act on. */
  error?: string;
  /** volume.create from an image: whether the backend cloned it instead of copying. */
  cloned?: boolean;
  /** volume.extend: the size the volume now has. */
  sizeGb?: number;
}
