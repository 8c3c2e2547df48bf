import { type VolumeSpec } from '@overcast/block-storage/contracts';
import { type CephCluster, createTempDir, startCephCluster } from '@overcast/shared/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type DriverUnderTest, describeVolumeDriverCompliance, readImage, writeImage } from '../volume-driver.compliance';
import { type ImageSource } from '../volume-driver';
import { RbdVolumeDriver } from './rbd-volume-driver';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Where the tests keep images the way the image service's rbd store does; volumes stay in the cluster's `rbd` pool. */
const IMAGES = 'images';

// One cluster for the whole file: it takes seconds to start.
let started: Promise<CephCluster> | undefined;
const cluster = () => (started ??= startCephCluster());
// A failed start is reported by the suites that awaited it; closing has nothing to add then.
afterAll(() => started?.then((ceph) => ceph.close(), () => undefined), 60_000);

/** Everything in a pool: images, snapshots as `image@snap`, and what waits in its trash as `trash:image`. */
async function poolContents(ceph: CephCluster, pool: string): Promise<string[]> {
  const images = JSON.parse(await ceph.run(['rbd', 'ls', '--long', '--format', 'json', pool])) as { image: string; snapshot?: string }[];
  const trash = JSON.parse(await ceph.run(['rbd', 'trash', 'ls', '--format', 'json', pool])) as { name: string }[];
  return [...images.map((entry) => (entry.snapshot === undefined ? entry.image : `${entry.image}@${entry.snapshot}`)), ...trash.map((entry) => `trash:${entry.name}`)].sort();
}

/**
 * The volume as a hypervisor opens it: qemu's librbd driver on the connection info's `name`,
 * through the monitors at its `hosts` and `ports`, without the cluster's ceph.conf.
 */
async function qemuTarget(driver: RbdVolumeDriver, volume: VolumeSpec): Promise<string> {
  const { driver_volume_type: type, data } = await driver.initializeConnection(volume, { host: 'rbd-test' });
  expect(type).toBe('rbd');
  const [pool, image] = String(data['name']).split('/');
  const hosts = data['hosts'] as string[];
  const ports = data['ports'] as string[];
  const server = hosts.map((host, index) => ({ host, port: ports[index] }));
  const auth = data['auth_enabled'] === true ? 'cephx' : 'none';
  return `json:${JSON.stringify({ driver: 'raw', file: { driver: 'rbd', pool, image, server, 'auth-client-required': [auth] } })}`;
}

function rbdDriverUnderTest(driver: RbdVolumeDriver, ceph: CephCluster): DriverUnderTest {
  return {
    driver,
    contents: () => poolContents(ceph, ceph.pool),
    readVolume: async (volume, offset, length) => readImage(await qemuTarget(driver, volume), 'raw', offset, length),
    writeVolume: async (volume, offset, data) => writeImage(await qemuTarget(driver, volume), 'raw', offset, data),
    // The cluster is the file's, stopped after every suite in it.
    close: async () => undefined,
  };
}

describeVolumeDriverCompliance('rbd, on a single-node Ceph cluster', async () => {
  const ceph = await cluster();
  return rbdDriverUnderTest(await RbdVolumeDriver.open({ pool: ceph.pool, cephConf: ceph.confPath }), ceph);
});

describe('RbdVolumeDriver', () => {
  let ceph: CephCluster;
  let driver: RbdVolumeDriver;
  let subject: DriverUnderTest;

  beforeAll(async () => {
    ceph = await cluster();
    driver = await RbdVolumeDriver.open({ pool: ceph.pool, cephConf: ceph.confPath });
    subject = rbdDriverUnderTest(driver, ceph);
    await ceph.run(['ceph', 'osd', 'pool', 'create', IMAGES, '8', '8']);
    await ceph.run(['rbd', 'pool', 'init', IMAGES]);
  }, 120_000);

  const volumeOf = (sizeGb = 1): VolumeSpec => ({ id: randomUUID(), sizeGb });

  async function parentOf(volume: VolumeSpec): Promise<{ pool: string; image: string; snapshot: string } | undefined> {
    return (JSON.parse(await ceph.run(['rbd', 'info', '--format', 'json', `${ceph.pool}/volume-${volume.id}`])) as { parent?: { pool: string; image: string; snapshot: string } }).parent;
  }

  /** `data` kept as the image service's rbd store keeps an image: an RBD image with a protected snapshot `snap`. */
  async function storedImage(data: Buffer): Promise<{ source: ImageSource; remove(): Promise<void> }> {
    const id = randomUUID();
    const dir = await createTempDir('overcast-rbd-image');
    await writeFile(join(dir.path, 'data'), data);
    await ceph.run(['rbd', 'import', '--no-progress', join(dir.path, 'data'), `${IMAGES}/${id}`]);
    await dir.remove();
    await ceph.run(['rbd', 'snap', 'create', '--no-progress', `${IMAGES}/${id}@snap`]);
    await ceph.run(['rbd', 'snap', 'protect', `${IMAGES}/${id}@snap`]);
    return {
      source: { id, size: data.length, diskFormat: 'raw', locations: [`rbd://${ceph.fsid}/${IMAGES}/${id}/snap`], open: async () => Readable.from([data]) },
      remove: async () => {
        await ceph.run(['rbd', 'snap', 'unprotect', `${IMAGES}/${id}@snap`]);
        await ceph.run(['rbd', 'snap', 'rm', '--no-progress', `${IMAGES}/${id}@snap`]);
        await ceph.run(['rbd', 'rm', '--no-progress', `${IMAGES}/${id}`]);
      },
    };
  }

  it("refuses to start on a pool the cluster does not have, naming it and the cluster's pools", async () => {
    const elsewhere = await RbdVolumeDriver.open({ pool: 'volumes', cephConf: ceph.confPath });
    await expect(elsewhere.start()).rejects.toThrow(`names the pool volumes, which the Ceph cluster ${ceph.fsid} does not have (pools: `);
  });

  it("answers Cinder's rbd connection info, naming the cluster's monitor", async () => {
    const volume = volumeOf();
    await driver.createVolume(volume);
    const monitorPort = /^mon host = v2:127\.0\.0\.1:(\d+)$/m.exec(await readFile(ceph.confPath, 'utf8'))?.[1];
    expect(await driver.initializeConnection(volume, { host: 'compute-1' })).toEqual({
      driver_volume_type: 'rbd',
      data: {
        name: `${ceph.pool}/volume-${volume.id}`,
        hosts: ['127.0.0.1'],
        ports: [monitorPort],
        cluster_name: 'ceph',
        auth_enabled: false,
        auth_username: null,
        secret_type: 'ceph',
        secret_uuid: null,
        volume_id: volume.id,
        discard: true,
        keyring: null,
      },
    });
    await driver.deleteVolume(volume);
  });

  it('makes a volume from a raw image of the same cluster a copy-on-write clone of its snapshot, holding its bytes', async () => {
    const bytes = randomBytes(5 * MIB + 512);
    const image = await storedImage(bytes);
    const volume = volumeOf(1);
    expect(await driver.createVolumeFromImage(volume, image.source)).toEqual({ cloned: true });
    expect(await parentOf(volume)).toMatchObject({ pool: IMAGES, image: image.source.id, snapshot: 'snap' });
    const target = await qemuTarget(driver, volume);
    // Across the first 4 MiB RBD object's end, the image's last bytes, and the grown part beyond them.
    expect(await readImage(target, 'raw', 4 * MIB - 4096, 8192)).toEqual(bytes.subarray(4 * MIB - 4096, 4 * MIB + 4096));
    expect(await readImage(target, 'raw', bytes.length - 512, 1024)).toEqual(Buffer.concat([bytes.subarray(-512), Buffer.alloc(512)]));
    expect(await readImage(target, 'raw', GIB - 512, 512)).toEqual(Buffer.alloc(512));
    // While the volume is its clone, the image's snapshot cannot go (the image service answers 409).
    await expect(ceph.run(['rbd', 'snap', 'unprotect', `${IMAGES}/${image.source.id}@snap`])).rejects.toThrow();
    await driver.deleteVolume(volume);
    await image.remove();
  }, 60_000);

  it('copies an image it cannot clone: a location in another cluster, or a disk format other than raw', async () => {
    const bytes = randomBytes(MIB);
    const image = await storedImage(bytes);
    const elsewhere = { ...image.source, locations: [`rbd://${randomUUID()}/${IMAGES}/${image.source.id}/snap`] };
    const iso = { ...image.source, diskFormat: 'iso' };
    for (const source of [elsewhere, iso]) {
      const volume = volumeOf(1);
      expect(await driver.createVolumeFromImage(volume, source)).toEqual({ cloned: false });
      expect(await parentOf(volume)).toBeUndefined();
      expect(await readImage(await qemuTarget(driver, volume), 'raw', MIB - 4096, 4096)).toEqual(bytes.subarray(-4096));
      await driver.deleteVolume(volume);
    }
    await image.remove();
  }, 60_000);

  it('refuses a raw image larger than the volume before cloning it', async () => {
    const image = await storedImage(randomBytes(MIB));
    const before = await subject.contents();
    await expect(driver.createVolumeFromImage(volumeOf(1), { ...image.source, size: GIB + 1 })).rejects.toThrow("more than the volume's 1 GiB");
    expect(await subject.contents()).toEqual(before);
    await image.remove();
  });

  it('flattens the clones of a snapshot it deletes, which keep their data', async () => {
    const source = volumeOf(1);
    const bytes = randomBytes(4096);
    await driver.createVolume(source);
    await writeImage(await qemuTarget(driver, source), 'raw', MIB, bytes);
    const snapshot = { id: randomUUID(), volumeId: source.id, sizeGb: 1 };
    await driver.createSnapshot(snapshot);
    const clone = volumeOf(1);
    await driver.createVolumeFromSnapshot(clone, snapshot);
    expect(await parentOf(clone)).toMatchObject({ pool: ceph.pool, image: `volume-${source.id}`, snapshot: `snapshot-${snapshot.id}` });

    await driver.deleteSnapshot(snapshot);
    expect(await parentOf(clone)).toBeUndefined();
    expect(await readImage(await qemuTarget(driver, clone), 'raw', MIB, bytes.length)).toEqual(bytes);
    await driver.deleteVolume(source);
    await driver.deleteVolume(clone);
  }, 60_000);

  it('clones a volume into an independent copy, leaving no snapshot on the source, which can then be deleted', async () => {
    const before = await subject.contents();
    const source = volumeOf(1);
    const bytes = randomBytes(4096);
    await driver.createVolume(source);
    await writeImage(await qemuTarget(driver, source), 'raw', 0, bytes);
    const clone = volumeOf(2);
    await driver.createClonedVolume(clone, source);
    expect(await parentOf(clone)).toBeUndefined();
    expect(await subject.contents()).toEqual([...before, `volume-${clone.id}`, `volume-${source.id}`].sort());
    await driver.deleteVolume(source);
    expect(await readImage(await qemuTarget(driver, clone), 'raw', 0, bytes.length)).toEqual(bytes);
    await driver.deleteVolume(clone);
  }, 60_000);

  it('says what went wrong in one line: the command, not its arguments or log', async () => {
    const volume = volumeOf();
    const failure = await driver.extendVolume(volume, 2).catch((error: Error) => error);
    expect(failure).toHaveProperty('message', `could not extend volume ${volume.id} to 2 GiB: rbd: error opening image volume-${volume.id}: (2) No such file or directory`);
  });

  it('leaves both pools as it found them', async () => {
    expect(await poolContents(ceph, ceph.pool)).toEqual([]);
    expect(await poolContents(ceph, IMAGES)).toEqual([]);
  });
});
