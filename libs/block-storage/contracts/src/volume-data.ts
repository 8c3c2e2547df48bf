/** Shapes both sides of the volume agent's protocol share with the volume drivers. */

/** A volume as a backend sees it; its id names its data there (`volume-<id>`). */
export interface VolumeSpec {
  id: string;
  sizeGb: number;
}

/** A snapshot of `volumeId`, taken when the volume was `sizeGb` big; named `snapshot-<id>` on the backend. */
export interface SnapshotSpec {
  id: string;
  volumeId: string;
  sizeGb: number;
}

/** What the attaching host says about itself (os-brick's connector properties); passed through. */
export interface Connector {
  host?: string;
  [property: string]: unknown;
}

/** What a hypervisor needs to use a volume (Cinder's connection info), e.g. `{driver_volume_type: 'rbd', data: {name: 'pool/volume-…', …}}`. */
export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

/** A backend's capacity in GiB, as Cinder's scheduler stats report it. */
export interface BackendCapacity {
  totalCapacityGb: number;
  freeCapacityGb: number;
  /** What the backend's volumes and snapshots could grow to (their virtual sizes). */
  provisionedCapacityGb: number;
  thinProvisioning: boolean;
  /** How far provisioned may exceed total when thin (Cinder's max_over_subscription_ratio). */
  maxOverSubscriptionRatio: number;
  /** Percent of total kept free. */
  reservedPercentage: number;
}

/** What a driver can do beyond the basics; the API answers 400 instead of failing half-way. */
export interface VolumeDriverCapabilities {
  /** A volume from an image the backend already holds is a copy-on-write clone: no data copied. */
  cloneImages: boolean;
  /** Several hosts may attach a volume at once. */
  multiattach: boolean;
  /** A volume may be extended while attached. */
  extendInUse: boolean;
}
