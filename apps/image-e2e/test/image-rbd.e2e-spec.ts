import { type AllInOne, type CephCluster, eventually, passwordAuthRequest, startAllInOne, startCephCluster } from '@overcast/shared/testing';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const ADMIN_PASSWORD = 'image-rbd-admin';

/**
 * The image service with two stores, a directory and a real Ceph pool, as Glance's multi-store;
 * and block storage with an rbd backend on the same pool, cloning the images kept there.
 */
describe('image service on a Ceph RBD store, and volumes cloned from it', () => {
  let ceph: CephCluster;
  let aio: AllInOne;
  let configDir: string;
  let token: string;

  const api = (path: string, init: RequestInit = {}) => fetch(`${aio.urls.image}${path}`, { ...init, headers: { 'X-Auth-Token': token, ...(init.headers as Record<string, string>) } });
  const rbdImages = async () => (await ceph.run(['rbd', 'ls', ceph.pool])).split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    ceph = await startCephCluster();
    configDir = await mkdtemp(join(tmpdir(), 'overcast-rbd-config-'));
    const configFile = join(configDir, 'overcast.yaml');
    await writeFile(
      configFile,
      stringify({
        image: {
          stores: [
            { driver: 'file', id: 'local' },
            { driver: 'rbd', id: 'ceph', pool: ceph.pool, cephConf: ceph.confPath },
          ],
          defaultStore: 'local',
          // The rbd volume backend finds the image's RBD snapshot through direct_url.
          showDirectUrl: true,
        },
        'volume-agent': { backends: [{ name: 'ceph', driver: 'rbd', pool: ceph.pool, cephConf: ceph.confPath }] },
      }),
    );
    aio = await startAllInOne(ADMIN_PASSWORD, { OVERCAST_CONFIG_FILE: configFile });
    const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
    token = auth.headers.get('x-subject-token') as string;
  }, 180_000);

  afterAll(async () => {
    await aio?.close();
    await ceph?.close();
    await rm(configDir, { recursive: true, force: true });
  });

  it('lists both stores, the directory as the default', async () => {
    expect(await (await api('/v2/info/stores')).json()).toEqual({
      stores: [expect.objectContaining({ id: 'local', default: true }), expect.objectContaining({ id: 'ceph' })],
    });
  });

  it('keeps an image named for the ceph store as an RBD image with a protected snapshot, and deletes it whole', async () => {
    const created = (await (await api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'on-ceph', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const uploaded = await api(`/v2/images/${created.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'X-Image-Meta-Store': 'ceph' }, body: data });
    expect(uploaded.status).toBe(204);

    const image = (await (await api(`/v2/images/${created.id}`)).json()) as Record<string, unknown>;
    expect(image).toMatchObject({ status: 'active', stores: 'ceph', size: data.length, checksum: createHash('md5').update(data).digest('hex') });
    expect(await rbdImages()).toEqual([created.id]);
    expect(await ceph.run(['rbd', 'snap', 'ls', `${ceph.pool}/${created.id}`])).toContain('snap');
    expect(await ceph.run(['rbd', 'info', `${ceph.pool}/${created.id}@snap`])).toMatch(/protected: True/);

    const download = await api(`/v2/images/${created.id}/file`);
    expect(download.headers.get('content-md5')).toBe(image['checksum']);
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);

    expect((await api(`/v2/images/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await rbdImages()).toEqual([]);
  });

  it('refuses to delete an image a volume or disk was cloned from (409), and keeps it whole', async () => {
    const created = (await (await api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'parent', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    expect((await api(`/v2/images/${created.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'X-Image-Meta-Store': 'ceph' }, body: randomBytes(1024 * 1024) })).status).toBe(204);
    const clone = `${ceph.pool}/volume-from-${created.id}`;
    await ceph.run(['rbd', 'clone', `${ceph.pool}/${created.id}@snap`, clone]);

    const refused = await api(`/v2/images/${created.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await (await api(`/v2/images/${created.id}`)).json()) as { status: string }).status).toBe('active');
    expect((await api(`/v2/images/${created.id}/file`)).status).toBe(200);

    await ceph.run(['rbd', 'rm', clone]);
    expect((await api(`/v2/images/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await rbdImages()).toEqual([]);
  });

  it('makes a volume from an image kept in RBD as a copy-on-write clone of its snapshot, with its bytes', async () => {
    const created = (await (await api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'golden', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    const data = randomBytes(2 * 1024 * 1024);
    expect((await api(`/v2/images/${created.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'X-Image-Meta-Store': 'ceph' }, body: data })).status).toBe(204);
    const image = (await (await api(`/v2/images/${created.id}`)).json()) as { direct_url?: string };
    expect(image.direct_url).toMatch(new RegExp(`^rbd://${ceph.fsid}/${ceph.pool}/${created.id}/snap$`));

    const projectId = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { project: { id: string } }).project.id;
    const volumes = `${aio.urls['block-storage']}/v3/${projectId}/volumes`;
    const volumeApi = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' } });
    const volume = ((await (await volumeApi(volumes, { method: 'POST', body: JSON.stringify({ volume: { size: 1, imageRef: created.id } }) })).json()) as { volume: { id: string } }).volume;
    const ready = await eventually(
      async () => ((await (await volumeApi(`${volumes}/${volume.id}`)).json()) as { volume: { status: string } }).volume.status,
      (status) => status !== 'creating',
      60_000,
    );
    expect(ready).toBe('available');
    const info = JSON.parse(await ceph.run(['rbd', 'info', '--format', 'json', `${ceph.pool}/volume-${volume.id}`])) as { size: number; parent?: { pool: string; image: string; snapshot: string } };
    expect(info).toMatchObject({ size: 1024 ** 3, parent: { pool: ceph.pool, image: created.id, snapshot: 'snap' } });
    const head = join(configDir, 'volume-head.raw');
    await ceph.run(['rbd', 'export', `${ceph.pool}/volume-${volume.id}`, head]);
    expect((await readFile(head)).subarray(0, data.length).equals(data)).toBe(true);
    await rm(head);

    // While the clone lives the image cannot go; once the volume is deleted, it can.
    expect((await api(`/v2/images/${created.id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await volumeApi(`${volumes}/${volume.id}`, { method: 'DELETE' })).status).toBe(202);
    await eventually(
      async () => (await volumeApi(`${volumes}/${volume.id}`)).status,
      (status) => status === 404,
      60_000,
    );
    expect((await api(`/v2/images/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await rbdImages()).toEqual([]);
  }, 120_000);

  it('refuses a store that is not configured', async () => {
    const created = (await (await api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'nowhere', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    const refused = await api(`/v2/images/${created.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'X-Image-Meta-Store': 'tape' }, body: Buffer.from('x') });
    expect(refused.status).toBe(400);
    expect(((await (await api(`/v2/images/${created.id}`)).json()) as { status: string }).status).toBe('queued');
  });
});
