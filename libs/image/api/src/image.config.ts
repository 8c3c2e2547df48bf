import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** One place image data may live (Glance's multi-store `enabled_backends`). */
const storeSettings = z.discriminatedUnion('driver', [
  z.object({
    driver: z.literal('file'),
    id: setting.string(),
    /** A local directory, or an NFS export or GlusterFS volume mounted there. Default `<dataDir>/image/images`. */
    directory: setting.string().optional(),
  }),
  z.object({
    driver: z.literal('rbd'),
    id: setting.string(),
    pool: setting.string().default('images'),
    cephConf: setting.string().default('/etc/ceph/ceph.conf'),
    user: setting.string().optional(),
  }),
]);
export type StoreSettings = z.infer<typeof storeSettings>;

/** Section `image`, env `OVERCAST_IMAGE_*`. */
export const imageSettings = z
  .object({
    port: setting.integer().min(0).max(65535).default(9292),
    databaseUrl: setting.databaseUrl().default('embedded'),
    /** In the config file: a list of stores; each image lives in one. */
    stores: z.array(storeSettings).min(1).default([{ driver: 'file', id: 'local' }]),
    /** Where uploads go unless the client names a store (`X-Image-Meta-Store`). */
    defaultStore: setting.string().default('local'),
    /** Glance's `image_size_cap`: the largest image accepted, in bytes (default 1 TiB). */
    imageSizeCap: setting.integer().min(1).default(1024 ** 4),
    /** Glance's `limit_param_default` and `api_limit_max`. */
    defaultPageSize: setting.integer().min(1).default(25),
    maxPageSize: setting.integer().min(1).default(1000),
    ...serviceUserSettings,
  })
  .refine((settings) => settings.stores.some((store) => store.id === settings.defaultStore), {
    message: 'defaultStore must name one of the stores',
    path: ['defaultStore'],
  })
  .refine((settings) => new Set(settings.stores.map((store) => store.id)).size === settings.stores.length, {
    message: 'store ids must be unique',
    path: ['stores'],
  });
export type ImageSettings = z.infer<typeof imageSettings>;
