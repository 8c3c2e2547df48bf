import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ByteRange, ImageStore, type StoreCapabilities, type StoredData } from '../image-store';

/** Flushes a file (or, after a rename, the directory holding it) to disk; returns its size. */
async function syncFile(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/**
 * Images as files in a directory: a local disk, or an NFS export or GlusterFS volume mounted
 * there. Data is written under a temporary name, synced, then renamed into place, so a reader
 * never sees a partial image and a crash leaves only a `.partial` file to sweep.
 */
export class FileImageStore extends ImageStore {
  readonly capabilities: StoreCapabilities = { rangedReads: true, copyOnWriteClones: false };
  private readonly root: string;

  constructor(
    readonly id: string,
    directory: string,
  ) {
    super();
    this.root = resolve(directory);
  }

  async add(imageId: string, data: Readable): Promise<StoredData> {
    await mkdir(this.root, { recursive: true, mode: 0o750 });
    const path = this.pathOf(imageId);
    const partial = join(this.root, `.${imageId}.${randomBytes(4).toString('hex')}.partial`);
    try {
      // Large writes: the default 16 KiB buffer costs a system call for every quarter of a network chunk.
      await pipeline(data, createWriteStream(partial, { flags: 'wx', mode: 0o640, highWaterMark: 1024 * 1024 }));
      // fsync applies to the file, whichever descriptor asks: the stream's own is closed by now.
      const size = await syncFile(partial);
      await rename(partial, path);
      await syncFile(this.root);
      return { location: pathToFileURL(path).href, size };
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw error;
    }
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathFromLocation(location);
    // Open first, so a missing file is an error here rather than on the stream.
    const file = await open(path, 'r');
    return file.createReadStream({ start: range?.start, end: range?.end });
  }

  async delete(location: string): Promise<void> {
    await unlink(this.pathFromLocation(location)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') {
        throw error;
      }
    });
  }

  owns(location: string): boolean {
    return location.startsWith(pathToFileURL(this.root + sep).href);
  }

  private pathOf(imageId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(imageId)) {
      throw new Error(`not an image id: ${imageId}`);
    }
    return join(this.root, imageId);
  }

  /** A location of this store, refused if it points anywhere but directly inside the directory. */
  private pathFromLocation(location: string): string {
    const path = resolve(fileURLToPath(location));
    if (!path.startsWith(this.root + sep) || path.slice(this.root.length + 1).includes(sep)) {
      throw new Error(`location ${location} is not in the store ${this.id}`);
    }
    return path;
  }

}
