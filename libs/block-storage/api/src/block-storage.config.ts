import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `blockStorage`, env `OVERCAST_BLOCK_STORAGE_*`. */
export const blockStorageSettings = z.object({ port: setting.integer().min(0).max(65535).default(8776), ...serviceUserSettings });
export type BlockStorageSettings = z.infer<typeof blockStorageSettings>;
