import { setting } from '@overcast/shared/core';
import { z } from 'zod';

/** The identity service's settings (section `identity`, env `OVERCAST_IDENTITY_*`). */
export const identitySettings = z.object({
  port: setting.integer().min(0).max(65535).default(5000),
  databaseUrl: setting.databaseUrl().default('embedded'),
  /** Signing keys, one PEM file each: 0 is staged, the highest number is primary. Default `<dataDir>/identity/keys`. */
  keyDir: setting.string().optional(),
  /** Keys kept: staged + primary + secondaries still verifying older tokens. */
  maxActiveKeys: setting.integer().min(3).default(3),
  tokenExpirationSeconds: setting.integer().min(60).default(3600),
  /** Keystone's `list_limit`: longer lists are cut to this many and say `"truncated": true`. Unset: no limit. */
  listLimit: setting.integer().min(1).optional(),
  /** The admin role on this project makes a cloud admin (Keystone's `admin_project_*`). */
  adminProjectName: setting.string().default('admin'),
  adminProjectDomainName: setting.string().default('Default'),
});
export type IdentitySettings = z.infer<typeof identitySettings>;
