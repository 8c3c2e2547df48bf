import { type AllInOne, clientEnvironment, type CloudUser, eventually, passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'image-e2e-admin';
/** Small enough that a test can go past it. */
const SIZE_CAP = 4 * 1024 * 1024;

describe('image service (Glance v2) with the openstack CLI', () => {
  let aio: AllInOne;
  let imageUrl: string;
  let demoProjectId: string;
  let otherProjectId: string;
  let adminToken: string;
  let aliceToken: string;
  let bobToken: string;
  let tinyPath: string;

  type User = CloudUser;
  const admin: User = { name: 'admin', password: ADMIN_PASSWORD, project: 'admin' };
  /** The CLI as a given user (admin by default); its output as text. */
  const cli = async (args: string[], user: User = admin) => (await run('openstack', args, { env: clientEnvironment(aio, user) })).stdout;
  /** A CLI command that prints a resource or a list, read as JSON. */
  const cliJson = async (args: string[], user: User = admin) => JSON.parse(await cli([...args, '-f', 'json'], user)) as unknown;
  const alice: User = { name: 'alice', password: 'alice-secret', project: 'demo' };
  const bob: User = { name: 'bob', password: 'bob-secret', project: 'other' };
  const tokenOf = async (user: User) => {
    const response = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest(user.name, user.password, user.project)) });
    expect(response.status).toBe(201);
    return response.headers.get('x-subject-token') as string;
  };
  const api = (path: string, token: string, init: RequestInit = {}) => fetch(`${imageUrl}${path}`, { ...init, headers: { 'X-Auth-Token': token, ...(init.headers as Record<string, string>) } });
  const createImage = async (token: string, body: Record<string, unknown> = {}) => {
    const response = await api('/v2/images', token, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', ...body }) });
    expect(response.status).toBe(201);
    return (await response.json()) as Record<string, unknown> & { id: string; status: string };
  };
  const upload = (id: string, token: string, data: Buffer) => api(`/v2/images/${id}/file`, token, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: data });
  const storeContents = async () => (await readdir(join(aio.dataDir, 'image', 'local')).catch(() => [] as string[])).sort();
  const expectGlanceError = async (response: Response, status: number) => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { code: string; title: string; message: string };
    expect(body.code).toMatch(new RegExp(`^${status} `));
    expect(typeof body.message).toBe('string');
  };

  beforeAll(async () => {
    aio = await startAllInOne(ADMIN_PASSWORD, { OVERCAST_IMAGE_IMAGE_SIZE_CAP: String(SIZE_CAP) });
    imageUrl = aio.urls.image;
    demoProjectId = ((await cliJson(['project', 'create', 'demo'])) as { id: string }).id;
    otherProjectId = ((await cliJson(['project', 'create', 'other'])) as { id: string }).id;
    await cli(['user', 'create', '--project', 'demo', '--password', alice.password, alice.name]);
    await cli(['user', 'create', '--project', 'other', '--password', bob.password, bob.name]);
    await cli(['role', 'add', '--project', 'demo', '--user', 'alice', 'member']);
    await cli(['role', 'add', '--project', 'other', '--user', 'bob', 'member']);
    adminToken = await tokenOf({ name: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
    aliceToken = await tokenOf(alice);
    bobToken = await tokenOf(bob);
    tinyPath = join(aio.dataDir, 'tiny.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', tinyPath, '64M']);
  }, 180_000);

  afterAll(() => aio?.close());

  it('runs the workflow: create with data, list, show, set a property, save byte-identical, share, delete', async () => {
    // The CLI prints the image as the create call returned it (queued, as with Glance), before the upload.
    await cliJson(['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', tinyPath, '--property', 'os_distro=cirros', '--private', 'tiny']);
    const created = (await cliJson(['image', 'show', 'tiny'])) as Record<string, unknown>;
    const tinyBytes = await readFile(tinyPath);
    expect(created).toMatchObject({ name: 'tiny', status: 'active', disk_format: 'qcow2', visibility: 'private', size: tinyBytes.length, virtual_size: 64 * 1024 * 1024, checksum: createHash('md5').update(tinyBytes).digest('hex') });
    const id = created['id'] as string;

    const listed = (await cliJson(['image', 'list'])) as { ID: string; Name: string; Status: string }[];
    expect(listed).toContainEqual({ ID: id, Name: 'tiny', Status: 'active' });
    await cli(['image', 'set', '--property', 'foo=bar', 'tiny']);
    const shown = (await cliJson(['image', 'show', 'tiny'])) as { properties: Record<string, unknown> };
    expect(shown.properties).toMatchObject({ os_distro: 'cirros', foo: 'bar' });
    const raw = (await (await api(`/v2/images/${id}`, adminToken)).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ os_hash_algo: 'sha512', os_hash_value: createHash('sha512').update(tinyBytes).digest('hex'), os_distro: 'cirros', foo: 'bar', stores: 'local' });

    const copyPath = join(aio.dataDir, 'copy.qcow2');
    await cli(['image', 'save', '--file', copyPath, 'tiny']);
    expect((await readFile(copyPath)).equals(tinyBytes)).toBe(true);

    // Sharing: a private image is invisible to another project until shared and accepted.
    expect(await cliJson(['image', 'list'], alice)).not.toContainEqual(expect.objectContaining({ ID: id }));
    await cli(['image', 'set', '--shared', 'tiny']);
    await cli(['image', 'add', 'project', 'tiny', 'demo']);
    expect((await api(`/v2/images/${id}`, aliceToken)).status).toBe(200);
    expect(await cliJson(['image', 'list'], alice)).not.toContainEqual(expect.objectContaining({ ID: id }));
    await cli(['image', 'set', '--accept', id], alice);
    expect(await cliJson(['image', 'list'], alice)).toContainEqual(expect.objectContaining({ ID: id }));
    expect((await api(`/v2/images/${id}`, bobToken)).status).toBe(404);
    const members = (await (await api(`/v2/images/${id}/members`, adminToken)).json()) as { members: { member_id: string; status: string }[] };
    expect(members.members).toEqual([expect.objectContaining({ member_id: demoProjectId, status: 'accepted' })]);
    // A member may not manage the members.
    await expectGlanceError(await api(`/v2/images/${id}/members`, aliceToken, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ member: otherProjectId }) }), 403);

    await cli(['image', 'delete', 'tiny']);
    expect((await api(`/v2/images/${id}`, adminToken)).status).toBe(404);
    expect(await storeContents()).toEqual([]);
  });

  it('deactivates and reactivates, tags, and protects', async () => {
    const image = await createImage(aliceToken, { name: 'lifecycle' });
    expect((await upload(image.id, aliceToken, randomBytes(1000))).status).toBe(204);
    await cli(['image', 'set', '--deactivate', image.id], alice);
    await expectGlanceError(await api(`/v2/images/${image.id}/file`, aliceToken), 403);
    await cli(['image', 'set', '--activate', image.id], alice);
    expect((await api(`/v2/images/${image.id}/file`, aliceToken)).status).toBe(200);

    await cli(['image', 'set', '--tag', 'gold', '--tag', 'small', image.id], alice);
    expect(((await cliJson(['image', 'list', '--tag', 'gold'], alice)) as { ID: string }[]).map((row) => row.ID)).toEqual([image.id]);
    await cli(['image', 'unset', '--tag', 'gold', image.id], alice);
    expect(await cliJson(['image', 'list', '--tag', 'gold'], alice)).toEqual([]);

    await cli(['image', 'set', '--protected', image.id], alice);
    await expectGlanceError(await api(`/v2/images/${image.id}`, aliceToken, { method: 'DELETE' }), 403);
    await cli(['image', 'set', '--unprotected', image.id], alice);
    await cli(['image', 'delete', image.id], alice);
  });

  it('keeps publicizing to the cloud admin; community is the owner’s choice, seen by all on request', async () => {
    await expectGlanceError(await api('/v2/images', aliceToken, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'mine', visibility: 'public' }) }), 403);
    const community = await createImage(aliceToken, { name: 'shared-with-all', visibility: 'community' });
    const bobDefault = (await (await api('/v2/images', bobToken)).json()) as { images: { id: string }[] };
    expect(bobDefault.images.map((image) => image.id)).not.toContain(community.id);
    const bobCommunity = (await (await api('/v2/images?visibility=community', bobToken)).json()) as { images: { id: string }[] };
    expect(bobCommunity.images.map((image) => image.id)).toContain(community.id);
    const publicImage = await createImage(adminToken, { name: 'everyone', visibility: 'public' });
    expect((await api(`/v2/images/${publicImage.id}`, bobToken)).status).toBe(200);
    // Bob can see these, not change them.
    await expectGlanceError(await api(`/v2/images/${publicImage.id}`, bobToken, { method: 'DELETE' }), 403);
  });

  it('applies JSON patches of custom properties, and refuses read-only ones and other media types', async () => {
    const image = await createImage(aliceToken, { name: 'patchy' });
    const patch = (operations: unknown, contentType = 'application/openstack-images-v2.1-json-patch') =>
      api(`/v2/images/${image.id}`, aliceToken, { method: 'PATCH', headers: { 'Content-Type': contentType }, body: JSON.stringify(operations) });
    const patched = await patch([
      { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
      { op: 'replace', path: '/name', value: 'patched' },
      { op: 'add', path: '/min_ram', value: 512 },
    ]);
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ name: 'patched', hw_disk_bus: 'virtio', min_ram: 512 });
    expect((await patch([{ op: 'remove', path: '/hw_disk_bus' }])).status).toBe(200);
    expect(await (await api(`/v2/images/${image.id}`, aliceToken)).json()).not.toHaveProperty('hw_disk_bus');
    await expectGlanceError(await patch([{ op: 'replace', path: '/name', value: 'x' }], 'application/json'), 415);
    await expectGlanceError(await patch([{ op: 'replace', path: '/status', value: 'active' }]), 403);
    await expectGlanceError(await patch([{ op: 'replace', path: '/owner', value: otherProjectId }]), 403);
  });

  it('answers bad input with the right 4xx and Glance’s error body', async () => {
    const image = await createImage(aliceToken, { name: 'bad-input' });
    await expectGlanceError(await api('/v2/images', aliceToken, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ disk_format: 'floppy' }) }), 400);
    await expectGlanceError(await api('/v2/images/not-a-uuid', aliceToken), 404);
    await expectGlanceError(await api('/v2/images/', aliceToken), 404);
    await expectGlanceError(await api('/v2/images?size=big', aliceToken), 400);
    await expectGlanceError(await api('/v2/images?name=weird:op', aliceToken), 400);
    await expectGlanceError(await api('/v2/images?limit=-1', aliceToken), 400);
    await expectGlanceError(await api('/v2/images?sort_key=colour', aliceToken), 400);
    await expectGlanceError(await api(`/v2/images/${image.id}/file`, aliceToken, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }), 415);
    expect((await upload(image.id, aliceToken, randomBytes(100))).status).toBe(204);
    await expectGlanceError(await upload(image.id, aliceToken, randomBytes(100)), 409);
    await expectGlanceError(await api(`/v2/images/${image.id}`, bobToken), 404);
  });

  it('refuses data beyond the size cap, leaving the image queued and the store empty', async () => {
    const image = await createImage(aliceToken, { name: 'too-big' });
    const before = await storeContents();
    await expectGlanceError(await upload(image.id, aliceToken, randomBytes(SIZE_CAP + 1)), 413);
    expect(((await (await api(`/v2/images/${image.id}`, aliceToken)).json()) as { status: string }).status).toBe('queued');
    expect(await storeContents()).toEqual(before);
  });

  it('refuses a second upload while one runs, and survives a client that goes away half-way: image queued again, no bytes kept, a new upload works', async () => {
    const image = await createImage(aliceToken, { name: 'interrupted' });
    const before = await storeContents();
    const url = new URL(`${imageUrl}/v2/images/${image.id}/file`);
    const status = async () => ((await (await api(`/v2/images/${image.id}`, aliceToken)).json()) as { status: string }).status;
    const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers: { 'X-Auth-Token': aliceToken, 'Content-Type': 'application/octet-stream', 'Content-Length': 1024 * 1024 } });
    request.on('error', () => undefined);
    request.write(randomBytes(256 * 1024));
    // Half-way, once the service is taking the data: the client vanishes.
    expect(await eventually(status, (value) => value === 'saving')).toBe('saving');
    // Meanwhile a second upload to the same image is refused.
    await expectGlanceError(await upload(image.id, aliceToken, randomBytes(1000)), 409);
    request.destroy();
    expect(await eventually(status, (value) => value === 'queued')).toBe('queued');
    expect(await storeContents()).toEqual(before);
    const data = randomBytes(300_000);
    expect((await upload(image.id, aliceToken, data)).status).toBe(204);
    const download = await api(`/v2/images/${image.id}/file`, aliceToken);
    expect(download.headers.get('content-md5')).toBe(createHash('md5').update(data).digest('hex'));
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    const ranged = await api(`/v2/images/${image.id}/file`, aliceToken, { headers: { Range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${data.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
  });

  it('lists its versions as Glance does: newest first, the newest CURRENT, at / (300) and /versions (200)', async () => {
    const root = await fetch(`${imageUrl}/`);
    expect(root.status).toBe(300);
    const { versions } = (await root.json()) as { versions: { id: string; status: string; links: { rel: string; href: string }[] }[] };
    expect(versions.map((version) => version.id)).toEqual(['v2.8', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0']);
    expect(versions[0]).toEqual({ id: 'v2.8', status: 'CURRENT', links: [{ rel: 'self', href: `${imageUrl}/v2/` }] });
    expect(versions.slice(1).every((version) => version.status === 'SUPPORTED')).toBe(true);
    expect((await fetch(`${imageUrl}/versions`)).status).toBe(200);
  });

  it('serves the schemas the clients read', async () => {
    const image = (await (await api('/v2/schemas/image', aliceToken)).json()) as { name: string; properties: Record<string, unknown> };
    expect(image.name).toBe('image');
    expect(Object.keys(image.properties)).toEqual(expect.arrayContaining(['id', 'name', 'status', 'visibility', 'disk_format', 'os_hash_value']));
    expect((await api('/v2/schemas/images', aliceToken)).status).toBe(200);
    expect((await api('/v2/schemas/member', aliceToken)).status).toBe(200);
    expect((await api('/v2/schemas/members', aliceToken)).status).toBe(200);
  });

  it('keeps uploaded data in the default store, the directory the other tests look into', async () => {
    const image = await createImage(aliceToken, { name: 'where' });
    expect((await upload(image.id, aliceToken, Buffer.from('x'))).status).toBe(204);
    expect(await storeContents()).toContain(image.id);
  });
});
