import { setting } from '@overcast/shared/core';
import { z } from 'zod';

const DRIVERS = ['file', 'rbd', 'fake'] as const;

/** What every backend has: its name on this host (`<host>@<name>`) and how the scheduler finds it. */
const backendIdentity = {
  name: setting.string(),
  /** What volume types select it by (extra spec `volume_backend_name`); default its name. */
  volumeBackendName: setting.string().optional(),
  availabilityZone: setting.string().default('nova'),
};

/** Cinder's thin-provisioning limits, per backend; the driver's defaults when unset. */
const oversubscription = {
  maxOverSubscriptionRatio: z.number().min(1).optional(),
  reservedPercentage: setting.integer().min(0).max(100).optional(),
};

const backendSettings = z
  .discriminatedUnion(
    'driver',
    [
      z.object({
        driver: z.literal('file'),
        ...backendIdentity,
        /** A local directory, or an NFS export or GlusterFS volume mounted there. */
        directory: setting.string(),
        format: z.enum(['qcow2', 'raw']).default('qcow2'),
        /** What the directory is, as the scheduler and the hypervisor see it (default `file`). */
        storageProtocol: z.enum(['file', 'nfs', 'glusterfs']).optional(),
        /** `server:/export` of an NFS directory, for hosts that mount it themselves. */
        nfsShare: setting.string().optional(),
        ...oversubscription,
      }),
      z.object({
        driver: z.literal('rbd'),
        ...backendIdentity,
        pool: setting.string().default('volumes'),
        cephConf: setting.string().default('/etc/ceph/ceph.conf'),
        /** The Ceph client name without `client.`; Ceph's default (`admin`) when unset. */
        user: setting.string().optional(),
        /** Where image data is checked and converted before it goes into the pool (Cinder's `image_conversion_dir`); the OS temp dir by default. */
        conversionDir: setting.string().optional(),
        ...oversubscription,
      }),
      z.object({
        driver: z.literal('fake'),
        ...backendIdentity,
        totalCapacityGb: setting.integer().min(1).optional(),
      }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${DRIVERS.join(', ')}` : undefined) },
  )
  .transform((backend) => ({ ...backend, volumeBackendName: backend.volumeBackendName ?? backend.name }));
export type VolumeBackendSettings = z.infer<typeof backendSettings>;

/** A JSON list in the environment, a YAML list in the config file. */
const backendList = z.preprocess((value, context) => {
  if (typeof value !== 'string') {
    return value;
  }
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    context.addIssue({ code: 'custom', message: `must be a JSON list of backends (${(error as Error).message})` });
    return z.NEVER;
  }
}, z.array(backendSettings));

/**
 * Section `volume-agent`, env `OVERCAST_VOLUME_AGENT_*`: this host's storage backends (Cinder's
 * `enabled_backends`). The all-in-one runs a `file` backend under the data dir when none is set.
 */
export const volumeAgentSettings = z.object({
  backends: backendList
    .default([])
    .refine((backends) => new Set(backends.map((backend) => backend.name)).size === backends.length, { message: 'backend names must be unique' }),
  /** How often the agent reports its backends' capacity (its heartbeat). */
  reportIntervalSeconds: setting.integer().min(1).default(30),
});
export type VolumeAgentSettings = z.infer<typeof volumeAgentSettings>;

/** The all-in-one's backend when none is configured: qcow2 files in a directory (`<dataDir>/volumes`), needing only qemu-img. */
export function localVolumeBackend(directory: string): VolumeBackendSettings {
  return backendSettings.parse({ name: 'local', driver: 'file', directory });
}
