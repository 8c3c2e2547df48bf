import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';
import { normalizeHost, parseNetwork } from './import/web-download-filter';

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

/** A list: a YAML list in the config file, comma-separated text in the environment (empty text: none). */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item),
  );
}

/** A port number, also as the environment's text. */
const port = z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value), setting.integer().min(1).max(65535));

/**
 * Which URLs the `web-download` import method may fetch (Glance's `[import_filtering_opts]`, stricter):
 * nothing until hosts are allowed, http(s) only, and never a loopback, link-local, private or other
 * non-public address unless its network is allowed too. See docs/configuration.md.
 */
const webDownloadSettings = z.object({
  /**
   * Host names or IP addresses a URL may name, exactly; `*` allows any host (each still has to pass
   * the address check). Empty (the default): web-download is off and not advertised.
   */
  allowedHosts: listOf(setting.string().refine((host) => host === '*' || normalizeHost(host) !== undefined, { message: 'must be a host name, an IP address or *' })).default([]),
  /** URL schemes allowed (Glance's `allowed_schemes`). */
  allowedSchemes: listOf(z.enum(['http', 'https'])).default(['http', 'https']),
  /** Ports allowed, the scheme's default port included when the URL names none; empty: any (Glance's `allowed_ports`). */
  allowedPorts: listOf(port).default([]),
  /**
   * Networks (`10.1.0.0/16`, `fd00::/8`, or one address) a host may resolve into although they are
   * loopback, link-local, private or otherwise not public, which are refused by default.
   */
  allowedNetworks: listOf(setting.string().refine((network) => parseNetwork(network) !== undefined, { message: 'must be an IP network (address/prefix) or an address' })).default([]),
  /** How long a web-download may wait on the remote server (connecting, or for the next bytes). */
  timeoutSeconds: setting.integer().min(1).default(60),
});
export type WebDownloadSettings = z.infer<typeof webDownloadSettings>;

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
    /** Interoperable import: where staged data waits (Glance's `node_staging_uri`), default `<dataDir>/image/staging`. */
    staging: z.object({ directory: setting.string().optional() }).default({}),
    webDownload: webDownloadSettings.default({ allowedHosts: [], allowedSchemes: ['http', 'https'], allowedPorts: [], allowedNetworks: [], timeoutSeconds: 60 }),
    /**
     * Glance's `show_image_direct_url`: an active image shows its first location as `direct_url`, so
     * a block storage rbd backend on the same Ceph cluster clones it instead of copying. It reveals
     * where the data is (pool and image names) to every user who can see the image.
     */
    showDirectUrl: setting.boolean().default(false),
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
  })
  .refine(
    (settings) =>
      settings.stores.every((store) =>
        store.driver !== 'file' ? true : store.directory === undefined ? store.id !== 'staging' || settings.staging.directory !== undefined : store.directory !== settings.staging.directory,
      ),
    { message: 'the staging directory must not be a file store\'s directory (a file store named "staging" needs a directory of its own)', path: ['staging', 'directory'] },
  );
export type ImageSettings = z.infer<typeof imageSettings>;
