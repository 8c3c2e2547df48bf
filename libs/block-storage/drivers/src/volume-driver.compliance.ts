import { type SnapshotSpec, type VolumeSpec } from '@overcast/block-storage/contracts';
import { createTempDir, type TempDir } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { type ImageSink, type ImageSource, type VolumeDriver } from './volume-driver';

export interface DriverUnderTest {
  driver: VolumeDriver;
  /** Everything the backend holds right now (files, RBD images…), to show nothing was left behind. */
  contents(): Promise<string[]>;
  /**
   * A volume's bytes, reached through the connection info the driver returns, as a hypervisor
   * would reach them. Without both hooks the suite checks sizes and bookkeeping but no data.
   */
  readVolume?(volume: VolumeSpec, offset: number, length: number): Promise<Buffer>;
  writeVolume?(volume: VolumeSpec, offset: number, data: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Runs a command (on this machine, or in a namespace) and resolves with its stdout. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Runs a command on this machine (never through a shell); a failure's message holds its output (qemu-io's errors go to stdout). */
export const runLocally: CommandRunner = async (command, args) =>
  promisify(execFile)(command, args, { maxBuffer: 16 * MIB }).then(
    ({ stdout }) => stdout,
    (error: Error & { stdout?: string }) => {
      throw new Error(`${error.message}${error.stdout ?? ''}`);
    },
  );

/** `length` bytes at `offset` of an image (a path, or a URL qemu reads such as `nfs://…`), by qemu-io. */
export async function readImage(target: string, format: string, offset: number, length: number, run: CommandRunner = runLocally): Promise<Buffer> {
  const dump = await run('qemu-io', ['-r', '-U', '-f', format, '-c', `read -v ${offset} ${length}`, target]);
  // Lines of `0000fffa:  ab ab … ab  ascii`: two spaces end the bytes.
  const bytes = dump.split('\n').flatMap((line) => /^[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)/.exec(line)?.[1]?.trim().split(' ') ?? []);
  if (bytes.length !== length) {
    throw new Error(`qemu-io read ${bytes.length} bytes of ${length} at ${offset} of ${target}:\n${dump}`);
  }
  return Buffer.from(bytes.join(''), 'hex');
}

/** Writes `data` at `offset` of an image by qemu-io. */
export async function writeImage(target: string, format: string, offset: number, data: Buffer, run: CommandRunner = runLocally): Promise<void> {
  const source = join(tmpdir(), `overcast-qemu-io-${randomUUID()}`);
  await writeFile(source, data);
  try {
    await run('qemu-io', ['-f', format, '-c', `write -s ${source} ${offset} ${data.length}`, target]);
  } finally {
    await rm(source, { force: true });
  }
}

function volumeOf(sizeGb = 1): VolumeSpec {
  return { id: randomUUID(), sizeGb };
}

function snapshotOf(volume: VolumeSpec): SnapshotSpec {
  return { id: randomUUID(), volumeId: volume.id, sizeGb: volume.sizeGb };
}

/** Sends `bytes`, then fails, as an image service that goes away would. */
async function* brokenStream(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
  throw new Error('the image service went away');
}

const ZEROS = Buffer.alloc(MIB);

function isZeros(chunk: Buffer): boolean {
  for (let at = 0; at < chunk.length; at += ZEROS.length) {
    const part = chunk.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) {
      return false;
    }
  }
  return true;
}

/** A sink that keeps an upload in a sparse file: a raw image is as big as the volume. */
function fileSink(diskFormat: ImageSink['diskFormat'], path: string): ImageSink & { uploads: number } {
  return {
    diskFormat,
    uploads: 0,
    async upload(data) {
      this.uploads += 1;
      const file = await open(path, 'w');
      try {
        let position = 0;
        for await (const chunk of data as AsyncIterable<Buffer>) {
          if (!isZeros(chunk)) {
            await file.write(chunk, 0, chunk.length, position);
          }
          position += chunk.length;
        }
        await file.truncate(position);
      } finally {
        await file.close();
      }
    },
  };
}

/**
 * The contract every VolumeDriver passes (after Cinder's cinder/tests/compliance), on the real
 * backend. Volumes are 1–2 GiB thin; the data written is KiBs. Checks of data need the subject's
 * readVolume/writeVolume: without them (the fake) those checks are skipped, and the run lists them.
 * Makes its test images with qemu-img and qemu-io (qemu-utils).
 */
export function describeVolumeDriverCompliance(name: string, setUp: () => Promise<DriverUnderTest>, timeoutMs = 60_000): void {
  describe(`VolumeDriver compliance: ${name}`, () => {
    let subject: DriverUnderTest;
    let driver: VolumeDriver;
    let scratch: TempDir;
    const skipped: string[] = [];

    beforeAll(async () => {
      scratch = await createTempDir('overcast-volume-compliance');
      subject = await setUp();
      driver = subject.driver;
      await driver.start();
    }, timeoutMs * 4);
    afterAll(async () => {
      if (skipped.length > 0) {
        console.log(`${name}: the driver under test has no readVolume/writeVolume, so these checks were skipped:\n- ${skipped.join('\n- ')}`);
      }
      try {
        await scratch?.remove();
      } finally {
        await subject?.close();
      }
    }, timeoutMs);

    interface DataHooks {
      read(volume: VolumeSpec, offset: number, length: number): Promise<Buffer>;
      write(volume: VolumeSpec, offset: number, data: Buffer): Promise<void>;
    }

    /** The subject's data hooks; without them, notes `checks` as skipped. */
    function dataHooks(checks: string): DataHooks | undefined {
      const { readVolume, writeVolume } = subject;
      if (readVolume === undefined || writeVolume === undefined) {
        skipped.push(checks);
        return undefined;
      }
      return { read: readVolume.bind(subject), write: writeVolume.bind(subject) };
    }

    /** Expects the volume to be exactly `sizeGb` big: its last bytes read, the next ones do not. */
    async function expectSize(data: DataHooks, volume: VolumeSpec, sizeGb: number): Promise<void> {
      expect(await data.read(volume, sizeGb * GIB - 512, 512)).toEqual(Buffer.alloc(512));
      await expect(data.read(volume, sizeGb * GIB, 512)).rejects.toThrow();
    }

    async function provisionedGb(): Promise<number> {
      return (await driver.capacity()).provisionedCapacityGb;
    }

    it('reports a sane capacity', async () => {
      const capacity = await driver.capacity();
      expect(capacity.totalCapacityGb).toBeGreaterThan(0);
      expect(capacity.freeCapacityGb).toBeGreaterThanOrEqual(0);
      expect(capacity.freeCapacityGb).toBeLessThanOrEqual(capacity.totalCapacityGb);
      expect(capacity.provisionedCapacityGb).toBeGreaterThanOrEqual(0);
      expect(capacity.maxOverSubscriptionRatio).toBeGreaterThanOrEqual(1);
      expect(capacity.reservedPercentage).toBeGreaterThanOrEqual(0);
      expect(capacity.reservedPercentage).toBeLessThan(100);
    }, timeoutMs);

    it('creates an empty volume of the requested size, counted as provisioned until deleted (data: zeros, exact size)', async () => {
      const before = await provisionedGb();
      const volume = volumeOf(1);
      await driver.createVolume(volume);
      expect(await provisionedGb()).toBeCloseTo(before + 1, 1);
      const data = dataHooks('a new volume reads as zeros and has the exact size');
      if (data) {
        expect(await data.read(volume, 0, 4096)).toEqual(Buffer.alloc(4096));
        await expectSize(data, volume, 1);
      }
      await driver.deleteVolume(volume);
      expect(await provisionedGb()).toBeCloseTo(before, 1);
    }, timeoutMs);

    it('deletes, and deleting what is gone is no error', async () => {
      const before = await subject.contents();
      const volume = volumeOf();
      const snapshot = snapshotOf(volume);
      await driver.createVolume(volume);
      await driver.createSnapshot(snapshot);
      await driver.deleteSnapshot(snapshot);
      await driver.deleteSnapshot(snapshot);
      await driver.deleteVolume(volume);
      await driver.deleteVolume(volume);
      await driver.deleteVolume(volumeOf());
      expect(await subject.contents()).toEqual(before);
    }, timeoutMs);

    it('fails, leaving nothing behind, on a snapshot, volume or connection that is not there', async () => {
      const before = await subject.contents();
      const missing = volumeOf();
      await expect(driver.createVolumeFromSnapshot(volumeOf(), snapshotOf(missing))).rejects.toThrow();
      await expect(driver.createClonedVolume(volumeOf(), missing)).rejects.toThrow();
      await expect(driver.createSnapshot(snapshotOf(missing))).rejects.toThrow();
      await expect(driver.initializeConnection(missing, { host: 'compliance' })).rejects.toThrow();
      expect(await subject.contents()).toEqual(before);
    }, timeoutMs);

    it('keeps in a snapshot the data of its moment, in volumes made from it at a larger size, which outlive their source and the snapshot', async () => {
      const data = dataHooks("the snapshot's and the new volume's data");
      const source = volumeOf(1);
      const then = randomBytes(4096);
      const later = randomBytes(4096);
      await driver.createVolume(source);
      await data?.write(source, 0, then);
      await data?.write(source, GIB - 4096, then);
      const snapshot = snapshotOf(source);
      await driver.createSnapshot(snapshot);
      await data?.write(source, 0, later);

      const before = await provisionedGb();
      const restored = volumeOf(2);
      await driver.createVolumeFromSnapshot(restored, snapshot);
      expect(await provisionedGb()).toBeCloseTo(before + 2, 1);
      await driver.deleteVolume(source);
      await driver.deleteSnapshot(snapshot);
      if (data) {
        expect(await data.read(restored, 0, 4096)).toEqual(then);
        expect(await data.read(restored, GIB - 4096, 4096)).toEqual(then);
        await expectSize(data, restored, 2);
      }
      await driver.deleteVolume(restored);
    }, timeoutMs);

    it('clones what a volume holds now, at the requested size, independent of its source', async () => {
      const data = dataHooks("the clone's data");
      const source = volumeOf(1);
      const now = randomBytes(4096);
      await driver.createVolume(source);
      await data?.write(source, MIB, now);
      const clone = volumeOf(2);
      await driver.createClonedVolume(clone, source);
      await data?.write(source, MIB, randomBytes(4096));
      await driver.deleteVolume(source);
      if (data) {
        expect(await data.read(clone, MIB, 4096)).toEqual(now);
        await expectSize(data, clone, 2);
      }
      await driver.deleteVolume(clone);
    }, timeoutMs);

    it('extends a volume, keeping its data, and refuses to shrink it', async () => {
      const data = dataHooks('the data across extend and a refused shrink');
      const volume = volumeOf(1);
      const bytes = randomBytes(4096);
      await driver.createVolume(volume);
      await data?.write(volume, 0, bytes);
      const before = await provisionedGb();
      await driver.extendVolume(volume, 2);
      expect(await provisionedGb()).toBeCloseTo(before + 1, 1);
      await data?.write(volume, GIB + GIB / 2, bytes);
      await expect(driver.extendVolume(volume, 1)).rejects.toThrow();
      expect(await provisionedGb()).toBeCloseTo(before + 1, 1);
      if (data) {
        expect(await data.read(volume, 0, 4096)).toEqual(bytes);
        expect(await data.read(volume, GIB + GIB / 2, 4096)).toEqual(bytes);
        await expectSize(data, volume, 2);
      }
      await driver.deleteVolume(volume);
    }, timeoutMs);

    it('works on several volumes at once', async () => {
      const data = dataHooks("the concurrent clones' data");
      const sources = [volumeOf(), volumeOf(), volumeOf()];
      const contents = sources.map(() => randomBytes(4096));
      await Promise.all(sources.map((volume) => driver.createVolume(volume)));
      // The hooks play one hypervisor each time; the driver's operations are what runs at once.
      for (const [index, volume] of sources.entries()) {
        await data?.write(volume, 0, contents[index] as Buffer);
      }
      const clones = sources.map(() => volumeOf());
      await Promise.all(clones.map((clone, index) => driver.createClonedVolume(clone, sources[index] as VolumeSpec)));
      if (data) {
        for (const [index, clone] of clones.entries()) {
          expect(await data.read(clone, 0, 4096)).toEqual(contents[index]);
        }
      }
      await Promise.all([...sources, ...clones].map((volume) => driver.deleteVolume(volume)));
    }, timeoutMs);

    describe('volumes from images', () => {
      const payload = randomBytes(64 * 1024);
      const payloadOffset = 3 * MIB;

      /** An image file made by qemu-img, `payload` written at `payloadOffset`. */
      async function imageFile(format: 'raw' | 'qcow2', virtualSize: number, createOptions: string[] = []): Promise<string> {
        const path = join(scratch.path, `${randomUUID()}.${format}`);
        await runLocally('qemu-img', ['create', '-q', '-f', format, ...createOptions, path, String(virtualSize)]);
        await writeImage(path, format, payloadOffset, payload);
        return path;
      }

      async function imageOf(path: string, diskFormat: string): Promise<ImageSource> {
        return { id: randomUUID(), size: (await stat(path)).size, diskFormat, locations: [], open: async () => createReadStream(path) };
      }

      /** Expects creating a volume from `image` to fail and to leave nothing behind. */
      async function expectRefused(image: ImageSource, sizeGb = 1): Promise<void> {
        const before = await subject.contents();
        await expect(driver.createVolumeFromImage(volumeOf(sizeGb), image)).rejects.toThrow();
        expect(await subject.contents()).toEqual(before);
      }

      it.each(['qcow2', 'raw'] as const)('fills a volume with the bytes of a %s image, grown to the volume size', async (format) => {
        const data = dataHooks(`a volume from a ${format} image`);
        if (!data) {
          return;
        }
        const volume = volumeOf(1);
        expect(await driver.createVolumeFromImage(volume, await imageOf(await imageFile(format, 64 * MIB), format))).toEqual({ cloned: false });
        expect(await data.read(volume, payloadOffset, payload.length)).toEqual(payload);
        expect(await data.read(volume, 0, 4096)).toEqual(Buffer.alloc(4096));
        await expectSize(data, volume, 1);
        await driver.deleteVolume(volume);
      }, timeoutMs);

      // The refusals inspect image data: a driver that cannot be read is not asked to.
      it('refuses qcow2 data declared raw', async () => {
        if (dataHooks('the refusal of qcow2 data declared raw')) {
          await expectRefused(await imageOf(await imageFile('qcow2', 64 * MIB), 'raw'));
        }
      }, timeoutMs);

      it.each([
        ['a backing file', async () => ['-b', await imageFile('raw', 8 * MIB), '-F', 'raw']],
        ['an external data file', async () => ['-o', `data_file=${join(scratch.path, randomUUID())}`]],
      ])('refuses a qcow2 image that refers to %s on the host', async (what, createOptions) => {
        if (dataHooks(`the refusal of a qcow2 image with ${what}`)) {
          await expectRefused(await imageOf(await imageFile('qcow2', 8 * MIB, await createOptions()), 'qcow2'));
        }
      }, timeoutMs);

      it('refuses an image whose virtual size is more than the volume', async () => {
        if (dataHooks('the refusal of an image larger than the volume')) {
          await expectRefused(await imageOf(await imageFile('qcow2', 2 * GIB), 'qcow2'), 1);
        }
      }, timeoutMs);

      it('fails, leaving nothing behind, when the image data stops half-way', async () => {
        if (dataHooks('a broken image stream')) {
          const before = await subject.contents();
          const image: ImageSource = { id: randomUUID(), size: 8 * MIB, diskFormat: 'raw', locations: [], open: async () => Readable.from(brokenStream(randomBytes(256 * 1024))) };
          await expect(driver.createVolumeFromImage(volumeOf(1), image)).rejects.toThrow('the image service went away');
          expect(await subject.contents()).toEqual(before);
        }
      }, timeoutMs);
    });

    it.each(['raw', 'qcow2'] as const)('uploads a volume as a %s image that holds its data', async (diskFormat) => {
      const data = dataHooks(`the data of a ${diskFormat} image of a volume`);
      const volume = volumeOf(1);
      const bytes = randomBytes(4096);
      await driver.createVolume(volume);
      await data?.write(volume, MIB, bytes);
      await data?.write(volume, GIB - 4096, bytes);
      const uploaded = join(scratch.path, `upload-${randomUUID()}`);
      const sink = fileSink(diskFormat, uploaded);
      await driver.copyVolumeToImage(volume, sink);
      expect(sink.uploads).toBe(1);
      if (data) {
        const info = JSON.parse(await runLocally('qemu-img', ['info', '--output=json', '-f', diskFormat, uploaded])) as { 'virtual-size': number };
        expect(info['virtual-size']).toBe(GIB);
        expect(await readImage(uploaded, diskFormat, MIB, 4096)).toEqual(bytes);
        expect(await readImage(uploaded, diskFormat, GIB - 4096, 4096)).toEqual(bytes);
        expect(await readImage(uploaded, diskFormat, 0, 4096)).toEqual(Buffer.alloc(4096));
      }
      await rm(uploaded, { force: true });
      await driver.deleteVolume(volume);
    }, timeoutMs);

    it('leaves nothing behind once everything it made is deleted', async () => {
      expect(await subject.contents()).toEqual([]);
    }, timeoutMs);
  });
}
