import { CephCli, failedWith } from '@overcast/shared/ceph';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { type ByteRange, ImageInUseError, ImageStore, type StoreCapabilities, type StoredData } from '../image-store';

const { EBUSY, EEXIST, EINVAL, ENOENT, ENOTEMPTY } = constants.errno;

/** The snapshot every image is kept as, the parent that volumes and disks clone (Glance's name). */
const SNAPSHOT = 'snap';

export interface RbdStoreSettings {
  /** The store's name in Glance's multi-store `stores` field. */
  id: string;
  pool: string;
  /** The ceph.conf that says how to reach the cluster (and where the user's keyring is). */
  cephConf: string;
  /** The Ceph client name without `client.` (`--id`); Ceph's default, `admin`, when absent. */
  user?: string;
}

function checkImageId(imageId: string): string {
  if (!/^[0-9a-f-]{36}$/.test(imageId)) {
    throw new Error(`not an image id: ${imageId}`);
  }
  return imageId;
}

/** Bytes `range.start` to `range.end` (inclusive) of `chunks`; stops reading them once past the end. */
async function* slice(chunks: AsyncGenerator<Buffer>, range: ByteRange): AsyncGenerator<Buffer> {
  let offset = 0;
  for await (const chunk of chunks) {
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end + 1 - offset, chunk.length);
    if (from < to) {
      yield chunk.subarray(from, to);
    }
    offset += chunk.length;
    if (offset > range.end) {
      return;
    }
  }
}

/** A byte stream of `chunks` whose first step, `first`, was taken already; destroying it ends them. */
function streamOf(first: IteratorResult<Buffer>, chunks: AsyncGenerator<Buffer>): Readable {
  let next: IteratorResult<Buffer> | undefined = first;
  return new Readable({
    read() {
      const step = next === undefined ? chunks.next() : Promise.resolve(next);
      next = undefined;
      step.then(
        (result) => this.push(result.done === true ? null : result.value),
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      chunks.return(undefined).then(
        () => callback(error),
        (failure: Error) => callback(error ?? failure),
      );
    },
  });
}

/**
 * Images in a Ceph pool, as Glance's rbd store keeps them: each an RBD image named by the image id
 * with a protected snapshot `snap`, which volumes and instance disks clone copy-on-write. The
 * location is `rbd://<fsid>/<pool>/<image>/snap`, Glance's format, so Nova and Cinder recognise it.
 *
 * Data is imported under a temporary name and renamed into place once whole, so a reader never
 * sees a partial image, an existing image is never overwritten, and a crash leaves only a
 * `.partial` name to sweep. `rbd export` has no offset, so a range is served by skipping.
 */
export class RbdImageStore extends ImageStore {
  readonly capabilities: StoreCapabilities = { rangedReads: false, copyOnWriteClones: true };
  readonly id: string;
  private readonly pool: string;
  private readonly prefix: string;

  private constructor(
    settings: RbdStoreSettings,
    readonly fsid: string,
    private readonly ceph: CephCli,
  ) {
    super();
    this.id = settings.id;
    this.pool = settings.pool;
    this.prefix = `rbd://${encodeURIComponent(fsid)}/${encodeURIComponent(settings.pool)}/`;
  }

  /**
   * Reaches the cluster for its fsid (a part of every location) and checks that the pool exists.
   * A cluster that does not answer within 30 s fails this rather than hang a service's start.
   */
  static async open(settings: RbdStoreSettings): Promise<RbdImageStore> {
    const ceph = new CephCli(settings.cephConf, settings.user);
    const query = async <T>(...args: string[]) => JSON.parse(await ceph.run('ceph', ['--connect-timeout', '30', ...args, '--format', 'json'])) as T;
    const { fsid } = await query<{ fsid: string }>('fsid');
    const pools = await query<string[]>('osd', 'pool', 'ls');
    if (!pools.includes(settings.pool)) {
      throw new Error(`the rbd store ${settings.id} names the pool ${settings.pool}, which the Ceph cluster ${fsid} does not have (pools: ${pools.join(', ') || 'none'})`);
    }
    return new RbdImageStore(settings, fsid, ceph);
  }

  async add(imageId: string, data: Readable): Promise<StoredData> {
    const image = checkImageId(imageId);
    let created = `.${image}.${randomBytes(4).toString('hex')}.partial`;
    try {
      const size = await this.ceph.import(this.spec(created), data);
      try {
        await this.rbd('rename', this.spec(created), this.spec(image));
      } catch (error) {
        throw failedWith(error, EEXIST) ? new Error(`the pool ${this.pool} already holds an image ${image}`, { cause: error }) : error;
      }
      created = image;
      await this.rbd('snap', 'create', '--no-progress', this.spec(image, SNAPSHOT));
      await this.rbd('snap', 'protect', this.spec(image, SNAPSHOT));
      return { location: this.locationOf(image), size };
    } catch (error) {
      const cleanup = await this.remove(created, SNAPSHOT).then(
        () => undefined,
        (failure: Error) => failure,
      );
      if (cleanup) {
        throw new Error(`${(error as Error).message}; removing the image ${created} it left failed too: ${cleanup.message}`, { cause: error });
      }
      throw error;
    }
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const { image, snapshot } = this.parse(location);
    const exported = this.ceph.export(this.spec(image, snapshot));
    const chunks = range === undefined ? exported : slice(exported, range);
    // The first step fails if the image is missing: an error here rather than on the stream.
    return streamOf(await chunks.next(), chunks);
  }

  /** Glance's order: unprotect and remove the snapshot, then the image. What is gone already is skipped. */
  async delete(location: string): Promise<void> {
    const { image, snapshot } = this.parse(location);
    await this.remove(image, snapshot);
  }

  owns(location: string): boolean {
    try {
      this.parse(location);
      return true;
    } catch {
      return false;
    }
  }

  private async remove(image: string, snapshot: string): Promise<void> {
    try {
      await this.rbd('snap', 'unprotect', this.spec(image, snapshot));
    } catch (error) {
      if (failedWith(error, EBUSY)) {
        throw new ImageInUseError(`image ${image} has clones (volumes or instance disks made from it) in the pool ${this.pool}`, { cause: error });
      }
      // ENOENT: no such image or snapshot; EINVAL: the snapshot is not protected.
      if (!failedWith(error, ENOENT, EINVAL)) {
        throw error;
      }
    }
    await this.rbd('snap', 'rm', '--no-progress', this.spec(image, snapshot)).catch((error: unknown) => {
      if (!failedWith(error, ENOENT)) {
        throw error;
      }
    });
    await this.rbd('rm', '--no-progress', this.spec(image)).catch((error: unknown) => {
      if (failedWith(error, EBUSY, ENOTEMPTY)) {
        throw new ImageInUseError(`image ${image} is open by a client or has other snapshots in the pool ${this.pool}`, { cause: error });
      }
      if (!failedWith(error, ENOENT)) {
        throw error;
      }
    });
  }

  private rbd(...args: string[]): Promise<string> {
    return this.ceph.run('rbd', args);
  }

  private spec(image: string, snapshot?: string): string {
    return `${this.pool}/${image}${snapshot === undefined ? '' : `@${snapshot}`}`;
  }

  private locationOf(image: string): string {
    return `${this.prefix}${encodeURIComponent(image)}/${SNAPSHOT}`;
  }

  /** The image and snapshot of a location of this store (this cluster, this pool); refuses any other. */
  private parse(location: string): { image: string; snapshot: string } {
    const parts = location.startsWith(this.prefix) ? location.slice(this.prefix.length).split('/') : [];
    const [image, snapshot] = parts.map((part) => decodeURIComponent(part));
    const name = /^[^/@]+$/;
    if (parts.length !== 2 || image === undefined || snapshot === undefined || !name.test(image) || !name.test(snapshot)) {
      throw new Error(`location ${location} is not in the store ${this.id}`);
    }
    return { image, snapshot };
  }
}
