import { type CephCluster, createTempDir, eventually, startCephCluster } from '@overcast/shared/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describeImageStoreCompliance } from '../image-store.compliance';
import { createImageStore, type ImageStoreConfig } from '../index';
import { ImageInUseError } from '../image-store';
import { RbdImageStore } from './rbd-store';

// One cluster for the whole file: it takes seconds to start.
let started: Promise<CephCluster> | undefined;
const cluster = () => (started ??= startCephCluster());
// A failed start is reported by the suites that awaited it; closing has nothing to add then.
afterAll(() => started?.then((ceph) => ceph.close(), () => undefined), 60_000);

/** Everything in the pool: images, and snapshots as `image@snap`. */
async function poolContents(ceph: CephCluster): Promise<string[]> {
  const entries = JSON.parse(await ceph.run(['rbd', 'ls', '--long', '--format', 'json', ceph.pool])) as { image: string; snapshot?: string }[];
  return entries.map((entry) => (entry.snapshot === undefined ? entry.image : `${entry.image}@${entry.snapshot}`)).sort();
}

/** PIDs of the `rbd export` processes reading `image`. */
async function exportsOf(image: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const commands = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return pids.filter((_, index) => {
    const args = (commands[index] ?? '').split('\0');
    return args[0] === 'rbd' && args.includes('export') && args.some((arg) => arg.includes(image));
  });
}

describeImageStoreCompliance('rbd, on a single-node Ceph cluster', async () => {
  const ceph = await cluster();
  return {
    store: await RbdImageStore.open({ id: 'ceph', pool: ceph.pool, cephConf: ceph.confPath }),
    contents: () => poolContents(ceph),
    // The cluster is the file's, stopped after every suite in it.
    close: async () => undefined,
  };
});

describe('RbdImageStore', () => {
  let ceph: CephCluster;
  let store: RbdImageStore;

  beforeAll(async () => {
    ceph = await cluster();
    store = await RbdImageStore.open({ id: 'ceph', pool: ceph.pool, cephConf: ceph.confPath });
  }, 120_000);

  async function snapshotOf(image: string): Promise<{ name: string; protected: string } | undefined> {
    const snapshots = JSON.parse(await ceph.run(['rbd', 'snap', 'ls', '--format', 'json', `${ceph.pool}/${image}`])) as { name: string; protected: string }[];
    return snapshots.find((snapshot) => snapshot.name === 'snap');
  }

  it('says it clones copy-on-write and cannot seek', () => {
    expect(store.capabilities).toEqual({ rangedReads: false, copyOnWriteClones: true });
  });

  it("names an image's data as Glance does, and owns only locations of its cluster and pool", async () => {
    const id = randomUUID();
    const stored = await store.add(id, Readable.from([randomBytes(1000)]));
    expect(stored.location).toBe(`rbd://${ceph.fsid}/${ceph.pool}/${id}/snap`);
    expect(store.owns(stored.location)).toBe(true);
    const elsewhere = [`rbd://${randomUUID()}/${ceph.pool}/${id}/snap`, `rbd://${ceph.fsid}/images/${id}/snap`, `rbd://${ceph.fsid}/${ceph.pool}/${id}`];
    for (const location of elsewhere) {
      expect(store.owns(location)).toBe(false);
      await expect(store.get(location)).rejects.toThrow('is not in the store ceph');
    }
    await store.delete(stored.location);
  });

  it('keeps each image with a protected snapshot that clones copy-on-write', async () => {
    const id = randomUUID();
    const data = randomBytes(300_000);
    const stored = await store.add(id, Readable.from([data]));
    expect(await snapshotOf(id)).toMatchObject({ name: 'snap', protected: 'true' });

    const clone = `${ceph.pool}/clone-${id}`;
    await ceph.run(['rbd', 'clone', `${ceph.pool}/${id}@snap`, clone]);
    const info = JSON.parse(await ceph.run(['rbd', 'info', '--format', 'json', clone])) as { parent: { pool: string; image: string; snapshot: string } };
    expect(info.parent).toMatchObject({ pool: ceph.pool, image: id, snapshot: 'snap' });
    const exported = await createTempDir('overcast-rbd-clone');
    await ceph.run(['rbd', 'export', '--no-progress', clone, join(exported.path, 'clone')]);
    expect((await readFile(join(exported.path, 'clone'))).equals(data)).toBe(true);
    await exported.remove();

    await ceph.run(['rbd', 'rm', '--no-progress', clone]);
    await store.delete(stored.location);
  });

  it('refuses to delete an image that has clones, and leaves it whole', async () => {
    const before = await poolContents(ceph);
    const id = randomUUID();
    const data = randomBytes(200_000);
    const stored = await store.add(id, Readable.from([data]));
    const clone = `${ceph.pool}/clone-${id}`;
    await ceph.run(['rbd', 'clone', `${ceph.pool}/${id}@snap`, clone]);

    const refused = store.delete(stored.location);
    await expect(refused).rejects.toBeInstanceOf(ImageInUseError);
    await expect(refused).rejects.toThrow(`image ${id} has clones`);
    expect(await snapshotOf(id)).toMatchObject({ protected: 'true' });
    expect((await buffer(await store.get(stored.location))).equals(data)).toBe(true);

    // Once the clone is gone (flattened or deleted), so can the image be.
    await ceph.run(['rbd', 'rm', '--no-progress', clone]);
    await store.delete(stored.location);
    expect(await poolContents(ceph)).toEqual(before);
  });

  it('refuses an image id it holds already, keeping the first', async () => {
    const before = await poolContents(ceph);
    const id = randomUUID();
    const first = randomBytes(5000);
    const stored = await store.add(id, Readable.from([first]));
    await expect(store.add(id, Readable.from([randomBytes(5000)]))).rejects.toThrow(`already holds an image ${id}`);
    expect((await buffer(await store.get(stored.location))).equals(first)).toBe(true);
    await store.delete(stored.location);
    expect(await poolContents(ceph)).toEqual(before);
  });

  it('serves ranges across the chunks rbd writes, and stops reading past the end', async () => {
    const id = randomUUID();
    const data = randomBytes(5 * 1024 * 1024);
    const stored = await store.add(id, Readable.from([data]));
    for (const range of [
      { start: 0, end: 0 },
      { start: 65_530, end: 200_000 },
      { start: data.length - 10, end: data.length - 1 },
    ]) {
      expect((await buffer(await store.get(stored.location, range))).equals(data.subarray(range.start, range.end + 1))).toBe(true);
    }
    // A reader that goes away ends the export rather than leave it blocked on a full pipe.
    const abandoned = await store.get(stored.location);
    expect(await exportsOf(id)).toHaveLength(1);
    abandoned.destroy();
    expect(await eventually(() => exportsOf(id), (pids) => pids.length === 0)).toEqual([]);
    await store.delete(stored.location);
  });
});

describe('createImageStore', () => {
  it('makes a file store and an rbd store from their config', async () => {
    const ceph = await cluster();
    const file = await createImageStore({ driver: 'file', id: 'local', directory: '/var/lib/overcast/images' });
    expect(file.id).toBe('local');
    expect(file.capabilities.copyOnWriteClones).toBe(false);
    const rbd = await createImageStore({ driver: 'rbd', id: 'ceph', pool: ceph.pool, cephConf: ceph.confPath });
    expect(rbd).toBeInstanceOf(RbdImageStore);
    expect(rbd.owns(`rbd://${ceph.fsid}/${ceph.pool}/${randomUUID()}/snap`)).toBe(true);
  }, 120_000);

  it('refuses a pool the cluster does not have, naming it', async () => {
    const ceph = await cluster();
    await expect(createImageStore({ driver: 'rbd', id: 'ceph', pool: 'no-such-pool', cephConf: ceph.confPath })).rejects.toThrow(
      'names the pool no-such-pool, which the Ceph cluster',
    );
  }, 120_000);

  it('refuses an unknown driver, naming the choices', async () => {
    const config = { driver: 'swift', id: 'objects' } as unknown as ImageStoreConfig;
    await expect(createImageStore(config)).rejects.toThrow('the image store "objects" has driver "swift", which is not one of: file, rbd');
  });
});
