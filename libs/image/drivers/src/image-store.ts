import { type Readable } from 'node:stream';

/** What a store kept: where (a URL of the store's scheme, Glance's `locations[].url`) and how many bytes. */
export interface StoredData {
  location: string;
  size: number;
}

/** An inclusive byte range, as HTTP `Range` names it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a store can do beyond add, get and delete; the API answers 400/409 for what it cannot. */
export interface StoreCapabilities {
  /** Serves a byte range without reading what comes before it. */
  rangedReads: boolean;
  /** Keeps images as copy-on-write parents (RBD snapshots), so volumes and disks clone them. */
  copyOnWriteClones: boolean;
}

/**
 * The data cannot go: a copy-on-write child (a volume, an instance disk) or a client still uses it.
 * The API answers 409.
 */
export class ImageInUseError extends Error {
  override readonly name = 'ImageInUseError';
}

/**
 * Where image data lives (glance_store's driver): streaming add, get and delete. A store only
 * moves bytes: checksums, size limits and states are the image service's. An `add` that fails
 * (the stream errors, the client goes away, the disk fills) leaves nothing behind.
 */
export abstract class ImageStore {
  /** The store's name in Glance's multi-store `stores` field, e.g. `local`, `ceph`. */
  abstract readonly id: string;
  abstract readonly capabilities: StoreCapabilities;

  /** Streams `data` into the store as the image `imageId`; resolves once it is durable. */
  abstract add(imageId: string, data: Readable): Promise<StoredData>;

  /** The data at `location`, whole or the given range. */
  abstract get(location: string, range?: ByteRange): Promise<Readable>;

  /** Removes the data at `location`; data already gone is not an error. */
  abstract delete(location: string): Promise<void>;

  /** Whether `location` belongs to this store. */
  abstract owns(location: string): boolean;
}
