import { eventually, type JsonObject, type NetworkCloud, startNetworkCloud } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'block-storage-e2e-admin';
const MIB = 1024 * 1024;

/** The first `length` bytes of a file. */
async function firstBytes(path: string, length: number): Promise<Buffer> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** The first `length` bytes of a volume file as a guest reads them, whatever its format (qemu-img dd). */
async function volumeBytes(path: string, length: number, scratch: string): Promise<Buffer> {
  const raw = join(scratch, `read-${randomBytes(4).toString('hex')}.raw`);
  await run('qemu-img', ['dd', '-U', '-O', 'raw', 'bs=1M', `count=${Math.ceil(length / MIB)}`, `if=${path}`, `of=${raw}`]);
  try {
    return await firstBytes(raw, length);
  } finally {
    await rm(raw, { force: true });
  }
}

describe('block-storage service (Cinder v3) with the openstack CLI', () => {
  let cloud: NetworkCloud;
  const cliJson = <T = JsonObject>(args: string[], user?: NetworkCloud['admin']) => cloud.cliJson<T>(args, user);
  const cli = (args: string[], user?: NetworkCloud['admin']) => cloud.cli(args, user);
  const volumeFile = (id: unknown) => join(cloud.aio.dataDir, 'volumes', `volume-${String(id)}`);
  /** Waits until the volume (or snapshot) leaves its transitional state, and returns it. */
  const settled = (kind: 'volume' | 'volume snapshot', name: string, user = cloud.alice) =>
    eventually(
      () => cliJson([...kind.split(' '), 'show', name], user),
      (shown) => !['creating', 'extending', 'uploading', 'downloading', 'deleting'].includes(String(shown['status'])),
      // A deadline, not a wait: an upload to the image service took over 60 s beside a guest booting under TCG.
      180_000,
    );

  beforeAll(async () => {
    cloud = await startNetworkCloud(ADMIN_PASSWORD);
  }, 180_000);

  afterAll(() => cloud?.aio.close());

  it("runs the issue's workflow, and the bytes are really there", async () => {
    const imageData = Buffer.concat([randomBytes(MIB), Buffer.alloc(MIB, 0x5a)]);
    const imagePath = join(cloud.aio.dataDir, 'tiny.raw');
    await writeFile(imagePath, imageData);
    await cli(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--public', '--file', imagePath, 'tiny']);

    const type = await cliJson(['volume', 'type', 'create', '--property', 'volume_backend_name=local', 'fast']);
    expect(type).toMatchObject({ name: 'fast', is_public: true, properties: { volume_backend_name: 'local' } });

    await cliJson(['volume', 'create', '--size', '1', '--type', 'fast', 'v1'], cloud.alice);
    const v1 = await settled('volume', 'v1');
    expect(v1).toMatchObject({ status: 'available', size: 1, type: 'fast', bootable: 'false' });

    await cliJson(['volume', 'create', '--size', '2', '--image', 'tiny', 'bootable1'], cloud.alice);
    const bootable1 = await settled('volume', 'bootable1');
    expect(bootable1).toMatchObject({ status: 'available', size: 2, bootable: 'true' });
    expect((await volumeBytes(volumeFile(bootable1['id']), imageData.length, cloud.aio.dataDir)).equals(imageData)).toBe(true);

    // What v1 holds when the snapshot is taken is what v2 gets, not what v1 holds later.
    await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x33 0 64k', volumeFile(v1['id'])]);
    await cliJson(['volume', 'snapshot', 'create', '--volume', 'v1', 's1'], cloud.alice);
    expect(await settled('volume snapshot', 's1')).toMatchObject({ status: 'available', size: 1 });
    await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x44 0 64k', volumeFile(v1['id'])]);
    await cliJson(['volume', 'create', '--snapshot', 's1', '--size', '1', 'v2'], cloud.alice);
    const v2 = await settled('volume', 'v2');
    expect(v2).toMatchObject({ status: 'available', size: 1, snapshot_id: expect.any(String) });
    expect((await volumeBytes(volumeFile(v2['id']), 64 * 1024, cloud.aio.dataDir)).equals(Buffer.alloc(64 * 1024, 0x33))).toBe(true);

    // Uploaded before it grows: every byte of the volume goes through the image API, 1 GiB rather than 2.
    const upload = await cliJson(['image', 'create', '--volume', 'v1', 'v1-image'], cloud.alice);
    expect(upload).toMatchObject({ image_name: 'v1-image', disk_format: 'raw' });
    expect(await settled('volume', 'v1')).toMatchObject({ status: 'available' });
    const image = await eventually(
      () => cliJson(['image', 'show', 'v1-image'], cloud.alice),
      (shown) => shown['status'] === 'active',
      60_000,
    );
    expect(image['size']).toBe(1024 ** 3);
    // The image's first bytes are v1's (a range, rather than 1 GiB through the CLI).
    const head = await fetch(`${cloud.aio.urls.image}/v2/images/${String(image['id'])}/file`, { headers: { 'X-Auth-Token': cloud.tokens.alice, Range: 'bytes=0-65535' } });
    expect(Buffer.from(await head.arrayBuffer()).equals(Buffer.alloc(64 * 1024, 0x44))).toBe(true);

    await cli(['volume', 'set', '--size', '2', 'v1'], cloud.alice);
    expect(await settled('volume', 'v1')).toMatchObject({ status: 'available', size: 2 });

    await cli(['volume', 'snapshot', 'delete', 's1'], cloud.alice);
    await eventually(
      () => cliJson<JsonObject[]>(['volume', 'snapshot', 'list'], cloud.alice),
      (list) => list.length === 0,
      60_000,
    );
    await cli(['volume', 'delete', 'v1', 'v2', 'bootable1'], cloud.alice);
    await eventually(
      () => cliJson<JsonObject[]>(['volume', 'list'], cloud.alice),
      (list) => list.length === 0,
      60_000,
    );
    const { stdout } = await run('ls', ['-A', join(cloud.aio.dataDir, 'volumes')]);
    expect(stdout.trim()).toBe('');
  }, 600_000);

  it('refuses bad input with Cinder\'s 4xx and keeps projects apart', async () => {
    const projectId = async (name: string) => String((await cliJson(['project', 'show', name]))['id']);
    const [demo, other] = [await projectId('demo'), await projectId('other')];
    const api = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${cloud.aio.urls['block-storage']}${path}`, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as JsonObject };
    };
    const { alice, bob } = cloud.tokens;

    for (const size of [0, -1, 'big']) {
      const answer = await api('POST', `/v3/${demo}/volumes`, alice, { volume: { size } });
      expect(answer).toMatchObject({ status: 400, body: { badRequest: { code: 400, message: expect.stringContaining('size') } } });
    }
    expect(await api('POST', `/v3/${demo}/volumes`, alice, { volume: { size: 1, volume_type: 'no-such-type' } })).toMatchObject({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Volume type with name no-such-type could not be found.' } },
    });

    const created = await api('POST', `/v3/${demo}/volumes`, alice, { volume: { size: 1, name: 'mine' } });
    expect(created.status).toBe(202);
    const id = String((created.body['volume'] as JsonObject)['id']);
    const ready = await eventually(
      () => api('GET', `/v3/${demo}/volumes/${id}`, alice),
      (answer) => (answer.body['volume'] as JsonObject)['status'] === 'available',
      60_000,
    );
    expect(ready.status).toBe(200);

    expect(await api('POST', `/v3/${demo}/volumes`, alice, { volume: { size: 1, snapshot_id: id } })).toMatchObject({ status: 404 });
    expect(await api('POST', `/v3/${demo}/volumes`, alice, { volume: { size: 1, source_volid: id, imageRef: id } })).toMatchObject({ status: 400 });
    expect(await api('POST', `/v3/${demo}/volumes/${id}/action`, alice, { 'os-extend': { new_size: 1 } })).toMatchObject({
      status: 400,
      body: { badRequest: { message: expect.stringContaining('must be greater than current size') } },
    });

    // Bob writes Alice's project into the URL: refused; through his own project, her volume does not exist.
    expect(await api('GET', `/v3/${demo}/volumes/${id}`, bob)).toMatchObject({ status: 400, body: { badRequest: { message: 'Malformed request url' } } });
    expect(await api('DELETE', `/v3/${other}/volumes/${id}`, bob)).toMatchObject({ status: 404, body: { itemNotFound: { message: `Volume ${id} could not be found.` } } });
    expect((await api('GET', `/v3/${other}/volumes`, bob)).body).toEqual({ volumes: [] });

    // Attached (legacy attach), it cannot be deleted; detached, it can.
    expect((await api('POST', `/v3/${demo}/volumes/${id}/action`, alice, { 'os-attach': { instance_uuid: '3c7a2c2e-0000-4000-8000-000000000001', mountpoint: '/dev/vdb' } })).status).toBe(202);
    expect((await api('GET', `/v3/${demo}/volumes/${id}`, alice)).body['volume']).toMatchObject({ status: 'in-use', attachments: [expect.objectContaining({ device: '/dev/vdb' })] });
    expect(await api('DELETE', `/v3/${demo}/volumes/${id}`, alice)).toMatchObject({ status: 400, body: { badRequest: { message: expect.stringContaining('attached') } } });
    expect((await api('POST', `/v3/${demo}/volumes/${id}/action`, alice, { 'os-detach': {} })).status).toBe(202);
    expect((await api('DELETE', `/v3/${demo}/volumes/${id}`, alice)).status).toBe(202);
    await eventually(
      () => api('GET', `/v3/${demo}/volumes/${id}`, alice),
      (answer) => answer.status === 404,
      60_000,
    );
  }, 120_000);
});
