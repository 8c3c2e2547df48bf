import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `compute`, env `OVERCAST_COMPUTE_*`. */
export const computeSettings = z.object({ port: setting.integer().min(0).max(65535).default(8774), ...serviceUserSettings });
export type ComputeSettings = z.infer<typeof computeSettings>;
