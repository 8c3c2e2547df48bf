import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { type ImageStore } from './image-store';

export interface StoreUnderTest {
  store: ImageStore;
  /** Everything the store holds right now (files, RBD images…), to show nothing was left behind. */
  contents(): Promise<string[]>;
  close(): Promise<void>;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A stream that sends `bytes` in small chunks, then fails, as a client that goes away would. */
function brokenStream(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
        return;
      }
      this.destroy(new Error('client went away'));
    },
  });
}

/** The contract every ImageStore passes (glance_store's driver tests), run against the real backend. */
export function describeImageStoreCompliance(name: string, setUp: () => Promise<StoreUnderTest>, timeoutMs = 30_000): void {
  describe(`ImageStore compliance: ${name}`, () => {
    let subject: StoreUnderTest;

    beforeAll(async () => {
      subject = await setUp();
    }, timeoutMs * 4);
    afterAll(() => subject?.close());

    it('keeps what it was given, byte for byte, and says how much', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const stored = await subject.store.add(randomUUID(), Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      expect(stored.size).toBe(data.length);
      expect(subject.store.owns(stored.location)).toBe(true);
      expect((await bytesOf(await subject.store.get(stored.location))).equals(data)).toBe(true);
      await subject.store.delete(stored.location);
    }, timeoutMs);

    it('keeps an empty image', async () => {
      const stored = await subject.store.add(randomUUID(), Readable.from([]));
      expect(stored.size).toBe(0);
      expect(await text(await subject.store.get(stored.location))).toBe('');
      await subject.store.delete(stored.location);
    }, timeoutMs);

    it('serves a byte range', async () => {
      const data = randomBytes(100_000);
      const stored = await subject.store.add(randomUUID(), Readable.from([data]));
      expect((await bytesOf(await subject.store.get(stored.location, { start: 5000, end: 5099 }))).equals(data.subarray(5000, 5100))).toBe(true);
      await subject.store.delete(stored.location);
    }, timeoutMs);

    it('leaves nothing behind when the data stops half-way', async () => {
      const before = await subject.contents();
      await expect(subject.store.add(randomUUID(), brokenStream(randomBytes(256 * 1024)))).rejects.toThrow('client went away');
      expect(await subject.contents()).toEqual(before);
    }, timeoutMs);

    it('deletes, and deleting what is gone is no error', async () => {
      const before = await subject.contents();
      const stored = await subject.store.add(randomUUID(), Readable.from([randomBytes(1000)]));
      await subject.store.delete(stored.location);
      await subject.store.delete(stored.location);
      expect(await subject.contents()).toEqual(before);
      await expect(subject.store.get(stored.location)).rejects.toThrow();
    }, timeoutMs);

    it('takes several images at once', async () => {
      const images = Array.from({ length: 4 }, () => randomBytes(512 * 1024));
      const stored = await Promise.all(images.map((data) => subject.store.add(randomUUID(), Readable.from([data]))));
      for (const [index, entry] of stored.entries()) {
        expect((await bytesOf(await subject.store.get(entry.location))).equals(images[index] as Buffer)).toBe(true);
        await subject.store.delete(entry.location);
      }
    }, timeoutMs);

    it('refuses a location that is not its own', async () => {
      expect(subject.store.owns('file:///etc/passwd')).toBe(false);
      await expect(subject.store.get('file:///etc/passwd')).rejects.toThrow();
    }, timeoutMs);
  });
}
