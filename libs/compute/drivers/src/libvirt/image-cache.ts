import { type ImageSource } from '@overcast/compute/contracts';
import { checkImageData } from '@overcast/shared/qemu';
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type ImageFetcher } from '../hypervisor-driver';

/** Glance disk formats a root disk may have here (an overlay's backing format), as qemu names them. */
const DISK_FORMATS = new Map([
  ['qcow2', 'qcow2'],
  ['raw', 'raw'],
]);
/** Kernels and ramdisks: plain files handed to qemu's direct kernel boot, never parsed as disks. */
const PLAIN_FORMATS = new Set(['aki', 'ari']);

/** A cached image: its path, and its qemu format and virtual size when it is a disk. */
export interface CachedImage {
  path: string;
  format?: string;
  virtualSize?: number;
}

/** Each instance directory names the base images it uses in this file, for the cleaner. */
export const BASE_IMAGES_FILE = 'base-images.json';

function checkedId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) {
    throw new Error(`'${id}' is not an image id`);
  }
  return id;
}

/**
 * Images fetched once per host under `<instancesPath>/_base/<image id>` (Nova's image cache), in
 * the format the image service holds them. Data arrives in a `.partial` file, is checked, and is
 * renamed into place, so a half-fetched or refused image never sits under its real name. A
 * fetch of an image already being fetched waits for it.
 */
export class ImageCache {
  readonly directory: string;
  private readonly fetching = new Map<string, Promise<CachedImage>>();

  constructor(private readonly instancesPath: string) {
    this.directory = join(instancesPath, '_base');
  }

  /** The image from the cache, fetched through `fetcher` first if it is not there; marks it used now. */
  async get(image: ImageSource, fetcher: ImageFetcher): Promise<CachedImage> {
    const failure = `could not fetch image ${image.id}`;
    const format = DISK_FORMATS.get(image.diskFormat);
    if (format === undefined && !PLAIN_FORMATS.has(image.diskFormat)) {
      throw new Error(`${failure}: its disk format ${image.diskFormat} is not one of ${[...DISK_FORMATS.keys(), ...PLAIN_FORMATS].join(', ')}`);
    }
    const path = join(this.directory, checkedId(image.id));
    let pending = this.fetching.get(image.id);
    if (pending === undefined) {
      pending = this.fetch(image, fetcher, path, format, failure).finally(() => this.fetching.delete(image.id));
      this.fetching.set(image.id, pending);
    }
    const cached = await pending;
    const now = new Date();
    await utimes(path, now, now);
    return cached;
  }

  /**
   * Removes base images that no instance directory names and that were last used longer than
   * `maxAgeSeconds` ago. Returns the ids removed.
   */
  async clean(maxAgeSeconds: number): Promise<string[]> {
    const inUse = await this.inUse();
    const removed: string[] = [];
    for (const name of await readdir(this.directory).catch(() => [])) {
      if (name.startsWith('.') || inUse.has(name) || this.fetching.has(name)) {
        continue;
      }
      const file = join(this.directory, name);
      const modified = await stat(file).then(
        (info) => info.mtimeMs,
        () => undefined,
      );
      if (modified !== undefined && Date.now() - modified > maxAgeSeconds * 1000) {
        await rm(file, { force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  private async fetch(image: ImageSource, fetcher: ImageFetcher, path: string, format: string | undefined, failure: string): Promise<CachedImage> {
    const known = await stat(path).catch(() => undefined);
    if (known === undefined) {
      await this.download(image, fetcher, path, format, failure);
    }
    if (format === undefined) {
      return { path };
    }
    // Checked again when it was cached before: the check is cheap, and the file may predate it.
    return { path, format, virtualSize: await checkImageData(path, format, failure) };
  }

  private async download(image: ImageSource, fetcher: ImageFetcher, path: string, format: string | undefined, failure: string): Promise<void> {
    const partial = join(this.directory, `.${image.id}.${randomBytes(4).toString('hex')}.partial`);
    try {
      const file = (await open(partial, 'wx', 0o644)).createWriteStream();
      try {
        await pipeline(await fetcher.open(image), file);
      } catch (error) {
        throw new Error(`${failure}: its data did not arrive: ${(error as Error).message}`, { cause: error });
      } finally {
        file.destroy();
      }
      if (format !== undefined) {
        await checkImageData(partial, format, failure);
      } else if ((await stat(partial)).size === 0) {
        throw new Error(`${failure}: it is empty`);
      }
      await rename(partial, path);
    } finally {
      await rm(partial, { force: true });
    }
  }

  /** The base images the instance directories name. */
  private async inUse(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const entry of await readdir(this.instancesPath, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name === '_base') {
        continue;
      }
      const listed = await readFile(join(this.instancesPath, entry.name, BASE_IMAGES_FILE), 'utf8').catch(() => '[]');
      for (const id of JSON.parse(listed) as string[]) {
        names.add(id);
      }
    }
    return names;
  }
}
