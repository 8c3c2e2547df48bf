import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `compute`, env `OVERCAST_COMPUTE_*`. */
export const computeSettings = z.object({
  port: setting.integer().min(0).max(65535).default(8774),
  databaseUrl: setting.databaseUrl().default('embedded'),
  /** The other services this one calls (Nova's `[glance]`, `[neutron]`, `[cinder]` endpoints). */
  imageUrl: z.url().default('http://127.0.0.1:9292'),
  networkUrl: z.url().default('http://127.0.0.1:9696'),
  blockStorageUrl: z.url().default('http://127.0.0.1:8776'),
  /** Nova's `osapi_max_limit`: the most items one page holds. */
  maxPageSize: setting.integer().min(1).default(1000),
  /** A host whose agent has not reported for this long is `down` (Nova's `service_down_time`). */
  hostDownSeconds: setting.integer().min(1).default(60),
  /** How often work handed to hosts that went down is looked for, and failed or retried. */
  strandedSweepSeconds: setting.integer().min(1).default(30),
  /** Placement's defaults: how far each resource may be overcommitted. */
  cpuAllocationRatio: z.number().positive().default(16),
  ramAllocationRatio: z.number().positive().default(1.5),
  diskAllocationRatio: z.number().positive().default(1),
  /** `spread` puts a server on the host with the most room left; `stack` on the one with the least that fits. */
  schedulerWeigher: z.enum(['spread', 'stack']).default('spread'),
  /** How many other hosts a build that failed on its host is tried on (Nova's `max_attempts` less one). */
  buildRetries: setting.integer().min(0).default(2),
  /** A resize may keep the server on its host when that host has room (Nova's `allow_resize_to_same_host`, off there; on here, so a one-host cloud can resize). */
  allowResizeToSameHost: setting.boolean().default(true),
  /** How many builds the orchestrator runs at once; the others wait their turn in BUILD (Nova's `max_concurrent_builds`). */
  maxConcurrentBuilds: setting.integer().min(1).default(16),
  /** Every server gets a config drive (Nova's `force_config_drive`): there is no metadata service, so it is how cloud-init finds keys and user data. */
  forceConfigDrive: setting.boolean().default(true),
  /** The zone a host is in, and servers asking for none (Nova's `default_availability_zone`). */
  defaultAvailabilityZone: setting.string().default('nova'),
  /** Each project's limits unless set for it (Nova's `[quota]`); -1 is unlimited. */
  quotaInstances: setting.integer().min(-1).default(10),
  quotaCores: setting.integer().min(-1).default(20),
  quotaRam: setting.integer().min(-1).default(51200),
  quotaKeyPairs: setting.integer().min(-1).default(100),
  quotaMetadataItems: setting.integer().min(-1).default(128),
  quotaServerGroups: setting.integer().min(-1).default(10),
  quotaServerGroupMembers: setting.integer().min(-1).default(10),
  ...serviceUserSettings,
});
export type ComputeSettings = z.infer<typeof computeSettings>;
