import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `network`, env `OVERCAST_NETWORK_*`. */
export const networkSettings = z.object({ port: setting.integer().min(0).max(65535).default(9696), ...serviceUserSettings });
export type NetworkSettings = z.infer<typeof networkSettings>;
