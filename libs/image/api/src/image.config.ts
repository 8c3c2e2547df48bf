import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `image`, env `OVERCAST_IMAGE_*`. */
export const imageSettings = z.object({ port: setting.integer().min(0).max(65535).default(9292), ...serviceUserSettings });
export type ImageSettings = z.infer<typeof imageSettings>;
