import { type ImageSource } from '@overcast/compute/contracts';
import { createTempDir, type TempDir } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { type ImageFetcher } from '../hypervisor-driver';
import { BASE_IMAGES_FILE, ImageCache } from './image-cache';

const qemuImg = (...args: string[]) => promisify(execFile)('qemu-img', args);

describe('ImageCache', () => {
  let directory: TempDir;
  let cache: ImageCache;

  beforeEach(async () => {
    directory = await createTempDir('overcast-image-cache');
    cache = new ImageCache(directory.path);
    await mkdir(cache.directory);
  });
  afterEach(() => directory.remove());

  async function imageFile(format: string, ...options: string[]): Promise<string> {
    const path = join(directory.path, `${randomUUID()}.${format}`);
    await qemuImg('create', '-q', '-f', format, ...options, path, '8M');
    return path;
  }

  function sourceOf(diskFormat: string): ImageSource {
    return { id: randomUUID(), diskFormat, size: 0, fileUrl: 'http://image.invalid/file' };
  }

  const fetcherOf = (path: string): ImageFetcher & { opened: number } => ({
    opened: 0,
    async open() {
      this.opened += 1;
      return createReadStream(path);
    },
  });

  it('fetches an image once, and knows its format and virtual size', async () => {
    const image = sourceOf('qcow2');
    const fetcher = fetcherOf(await imageFile('qcow2'));
    const [first, second] = await Promise.all([cache.get(image, fetcher), cache.get(image, fetcher)]);
    expect(first).toEqual({ path: join(cache.directory, image.id), format: 'qcow2', virtualSize: 8 * 1024 ** 2 });
    expect(second).toEqual(first);
    await cache.get(image, fetcher);
    expect(fetcher.opened).toBe(1);
  });

  it.each([
    ['raw data declared qcow2', 'qcow2', () => imageFile('raw')],
    ['a qcow2 image with a backing file', 'qcow2', async () => imageFile('qcow2', '-b', await imageFile('raw'), '-F', 'raw')],
    ['an ISO', 'iso', () => imageFile('raw')],
  ])('refuses %s, keeping nothing', async (_what, diskFormat, make) => {
    await expect(cache.get(sourceOf(diskFormat), fetcherOf(await make()))).rejects.toThrow('could not fetch image');
    expect(await readdir(cache.directory)).toEqual([]);
  });

  it('keeps nothing of an image whose data stops half-way', async () => {
    const broken: ImageFetcher = {
      open: async () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(1024);
            throw new Error('the image service went away');
          })(),
        ),
    };
    await expect(cache.get(sourceOf('aki'), broken)).rejects.toThrow('the image service went away');
    expect(await readdir(cache.directory)).toEqual([]);
  });

  it('cleans images no instance names once they are older than the max age', async () => {
    const used = sourceOf('aki');
    const recent = sourceOf('aki');
    const old = sourceOf('aki');
    const kernel = join(directory.path, 'kernel');
    await writeFile(kernel, 'a kernel');
    for (const image of [used, recent, old]) {
      await cache.get(image, fetcherOf(kernel));
    }
    await mkdir(join(directory.path, randomUUID()));
    const instance = join(directory.path, randomUUID());
    await mkdir(instance);
    await writeFile(join(instance, BASE_IMAGES_FILE), JSON.stringify([used.id]));
    const longAgo = new Date(Date.now() - 7200_000);
    await utimes(join(cache.directory, used.id), longAgo, longAgo);
    await utimes(join(cache.directory, old.id), longAgo, longAgo);
    expect(await cache.clean(3600)).toEqual([old.id]);
    expect((await readdir(cache.directory)).sort()).toEqual([used.id, recent.id].sort());
  });
});
