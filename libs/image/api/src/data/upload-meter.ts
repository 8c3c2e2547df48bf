import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Data beyond the size cap; the upload stops there. */
export class ImageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Image exceeds the size limit of ${limit} bytes.`);
  }
}

const QCOW2_MAGIC = 0x514649fb;

/**
 * Passes image data through while measuring it: byte count against a cap, MD5 (Glance's
 * `checksum`) and SHA-512 (`os_hash_value`), and the first bytes, where a qcow2 image states its
 * virtual size. Memory stays constant whatever the image's size.
 */
export class UploadMeter extends Transform {
  size = 0;
  private readonly md5: Hash = createHash('md5');
  private readonly sha512: Hash = createHash('sha512');
  private header = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {
    // Room for a few of the request's 64 KiB chunks: a 16 KiB buffer would pause the flow at every one.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new ImageTooLargeError(this.maxBytes));
      return;
    }
    if (this.header.length < 32) {
      this.header = Buffer.concat([this.header, chunk.subarray(0, 32 - this.header.length)]);
    }
    this.md5.update(chunk);
    this.sha512.update(chunk);
    callback(null, chunk);
  }

  get checksum(): string {
    return this.md5.copy().digest('hex');
  }

  get sha512Hex(): string {
    return this.sha512.copy().digest('hex');
  }

  /** The disk's size as the guest sees it: from the qcow2 header, or the data's own size when it is raw. */
  virtualSize(diskFormat: string | null): number | null {
    if (diskFormat === 'qcow2') {
      return this.header.length >= 32 && this.header.readUInt32BE(0) === QCOW2_MAGIC ? Number(this.header.readBigUInt64BE(24)) : null;
    }
    return diskFormat === 'raw' || diskFormat === 'iso' ? this.size : null;
  }
}
