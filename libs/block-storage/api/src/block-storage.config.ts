import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `blockStorage`, env `OVERCAST_BLOCK_STORAGE_*`. */
export const blockStorageSettings = z.object({
  port: setting.integer().min(0).max(65535).default(8776),
  databaseUrl: setting.databaseUrl().default('embedded'),
  /** Where volumes from images get their data and uploads go (Cinder's `glance_api_servers`). */
  imageUrl: z.url().default('http://127.0.0.1:9292'),
  /** Cinder's `osapi_max_limit`: the most items one page holds. */
  maxPageSize: setting.integer().min(1).default(1000),
  /** A backend whose agent has not reported for this long gets no new volumes, and its unfinished work fails. */
  backendDownSeconds: setting.integer().min(1).default(75),
  /** The type a volume gets when it names none (Cinder's `default_volume_type`); made at start-up when missing. */
  defaultVolumeType: setting.string().default('__DEFAULT__'),
  /** Each project's limits unless set for it (Cinder's `quota_*`); -1 is unlimited. */
  quotaVolumes: setting.integer().min(-1).default(10),
  quotaSnapshots: setting.integer().min(-1).default(10),
  quotaGigabytes: setting.integer().min(-1).default(1000),
  quotaPerVolumeGigabytes: setting.integer().min(-1).default(-1),
  ...serviceUserSettings,
});
export type BlockStorageSettings = z.infer<typeof blockStorageSettings>;
