import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageTooLargeError, UploadMeter } from './upload-meter';

async function measure(data: Buffer[], maxBytes = 1 << 30): Promise<UploadMeter> {
  const meter = new UploadMeter(maxBytes);
  await pipeline(Readable.from(data), meter, async function* (source) {
    for await (const chunk of source) {
      yield chunk;
    }
  });
  return meter;
}

function qcow2Header(virtualSize: bigint): Buffer {
  const header = Buffer.alloc(512);
  header.writeUInt32BE(0x514649fb, 0);
  header.writeUInt32BE(3, 4);
  header.writeBigUInt64BE(virtualSize, 24);
  return header;
}

describe('UploadMeter', () => {
  it('counts the bytes and hashes them with MD5 and SHA-512', async () => {
    const data = [Buffer.from('hello '), Buffer.from('world')];
    const meter = await measure(data);
    expect(meter.size).toBe(11);
    expect(meter.checksum).toBe(createHash('md5').update('hello world').digest('hex'));
    expect(meter.sha512Hex).toBe(createHash('sha512').update('hello world').digest('hex'));
  });

  it("reads a qcow2 image's virtual size from its header, even when it arrives in pieces", async () => {
    const header = qcow2Header(64n * 1024n * 1024n);
    const meter = await measure([header.subarray(0, 10), header.subarray(10, 30), header.subarray(30)]);
    expect(meter.virtualSize('qcow2')).toBe(64 * 1024 * 1024);
  });

  it('gives no virtual size for data that only claims to be qcow2, and the size itself for raw', async () => {
    const meter = await measure([Buffer.alloc(4096, 1)]);
    expect(meter.virtualSize('qcow2')).toBeNull();
    expect(meter.virtualSize('raw')).toBe(4096);
    expect(meter.virtualSize('vmdk')).toBeNull();
  });

  it('stops the stream at the size cap', async () => {
    await expect(measure([Buffer.alloc(600), Buffer.alloc(600)], 1000)).rejects.toBeInstanceOf(ImageTooLargeError);
  });
});
