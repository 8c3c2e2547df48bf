import { type AllInOne, clientEnvironment, type CloudUser, eventually, passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'image-import-e2e-admin';
/** Small enough that a test can go past it. */
const SIZE_CAP = 4 * 1024 * 1024;

type Image = Record<string, unknown> & { id: string; status: string; size: number | null };
type User = CloudUser;

/** One all-in-one and what the tests do with it: the REST API as a user, the two real clients, its directories. */
class Cloud {
  constructor(readonly aio: AllInOne) {}

  readonly admin: User = { name: 'admin', password: ADMIN_PASSWORD, project: 'admin' };
  readonly alice: User = { name: 'alice', password: 'alice-secret', project: 'demo' };
  readonly bob: User = { name: 'bob', password: 'bob-secret', project: 'other' };
  aliceToken = '';
  bobToken = '';

  async setUp(): Promise<void> {
    await this.openstack(['project', 'create', 'demo']);
    await this.openstack(['project', 'create', 'other']);
    await this.openstack(['user', 'create', '--project', 'demo', '--password', this.alice.password, this.alice.name]);
    await this.openstack(['user', 'create', '--project', 'other', '--password', this.bob.password, this.bob.name]);
    await this.openstack(['role', 'add', '--project', 'demo', '--user', 'alice', 'member']);
    await this.openstack(['role', 'add', '--project', 'other', '--user', 'bob', 'member']);
    this.aliceToken = await this.tokenOf(this.alice);
    this.bobToken = await this.tokenOf(this.bob);
  }

  /** The `openstack` CLI (python3-openstackclient 6.0); its output as text. */
  async openstack(args: string[], user: User = this.admin): Promise<string> {
    return (await run('openstack', args, { env: clientEnvironment(this.aio, user) })).stdout;
  }

  /**
   * The `glance` CLI (python3-glanceclient 4.1): `image-stage` and `image-import`, which the openstack CLI 6.0
   * lacks. Its stdin is closed: glance takes any other stdin that is not a terminal for image data.
   */
  async glance(args: string[], user: User = this.admin): Promise<string> {
    return (await run('sh', ['-c', 'exec glance "$@" <&-', 'glance', ...args], { env: clientEnvironment(this.aio, user) })).stdout;
  }

  async tokenOf(user: User): Promise<string> {
    const response = await fetch(`${this.aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest(user.name, user.password, user.project)) });
    expect(response.status).toBe(201);
    return response.headers.get('x-subject-token') as string;
  }

  api(path: string, init: RequestInit = {}, token = this.aliceToken): Promise<Response> {
    return fetch(`${this.aio.urls.image}${path}`, { ...init, headers: { 'X-Auth-Token': token, ...(init.headers as Record<string, string>) } });
  }

  async createImage(body: Record<string, unknown> = {}): Promise<Image> {
    const response = await this.api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', ...body }) });
    expect(response.status).toBe(201);
    return (await response.json()) as Image;
  }

  stage(id: string, data: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    return this.api(`/v2/images/${id}/stage`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...headers }, body: data });
  }

  import(id: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.api(`/v2/images/${id}/import`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  async show(id: string): Promise<Image> {
    return (await (await this.api(`/v2/images/${id}`)).json()) as Image;
  }

  /** The image once it is no longer on its way (importing), whatever it became. */
  settled(id: string): Promise<Image> {
    return eventually(
      () => this.show(id),
      (image) => image.status !== 'importing',
    );
  }

  /** Files in `<dataDir>/image/<name>`: a store's directory, or the staging area. */
  async files(name: string): Promise<string[]> {
    return (await readdir(join(this.aio.dataDir, 'image', name)).catch(() => [] as string[])).sort();
  }

  close(): Promise<void> {
    return this.aio.close();
  }
}

async function expectGlanceError(response: Response, status: number, message?: string | RegExp): Promise<void> {
  const body = (await response.json()) as { code: string; message: string };
  expect({ status: response.status, code: body.code }).toEqual({ status, code: expect.stringMatching(new RegExp(`^${status} `)) as unknown });
  if (message !== undefined) {
    expect(body.message).toMatch(message);
  }
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

describe('interoperable image import, with the defaults: glance-direct, no web-download', () => {
  let cloud: Cloud;
  let tinyPath: string;
  let tiny: Buffer;

  beforeAll(async () => {
    cloud = new Cloud(await startAllInOne(ADMIN_PASSWORD, { OVERCAST_IMAGE_IMAGE_SIZE_CAP: String(SIZE_CAP) }));
    await cloud.setUp();
    tinyPath = join(cloud.aio.dataDir, 'tiny.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', tinyPath, '64M']);
    tiny = await readFile(tinyPath);
  }, 180_000);

  afterAll(() => cloud?.close());

  it('advertises glance-direct only, in /v2/info/import and on image create', async () => {
    expect(await (await cloud.api('/v2/info/import')).json()).toEqual({ 'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct'] } });
    expect(await (await cloud.api('/v2/info/stores')).json()).toEqual({ stores: [expect.objectContaining({ id: 'local', default: true })] });
    const response = await cloud.api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'headers' }) });
    expect(response.status).toBe(201);
    expect(response.headers.get('openstack-image-import-methods')).toBe('glance-direct');
    expect(response.headers.get('openstack-image-store-ids')).toBe('local');
  });

  it('refuses web-download, which no host is allowed for', async () => {
    const image = await cloud.createImage({ name: 'no-web' });
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'web-download', uri: 'https://cloud-images.example.com/cirros.img' } }), 400, "Unknown import method name 'web-download'.");
    expect((await cloud.show(image.id)).status).toBe('queued');
  });

  it('stages (queued → uploading) and imports with glance-direct over HTTP (202, importing → active), like an upload', async () => {
    const image = await cloud.createImage({ name: 'direct', disk_format: 'qcow2' });
    expect((await cloud.stage(image.id, tiny)).status).toBe(204);
    expect(await cloud.show(image.id)).toMatchObject({ status: 'uploading', size: tiny.length });
    expect(await cloud.files('staging')).toEqual([image.id]);
    expect(await cloud.files('local')).not.toContain(image.id);

    const accepted = await cloud.import(image.id, { method: { name: 'glance-direct' } });
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe('');
    const active = await cloud.settled(image.id);
    expect(active).toMatchObject({
      status: 'active',
      size: tiny.length,
      virtual_size: 64 * 1024 * 1024,
      checksum: md5(tiny),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(tiny),
      stores: 'local',
      os_glance_importing_to_stores: '',
      os_glance_failed_import: '',
    });
    expect(active).not.toHaveProperty('os_glance_import_task');
    expect(await cloud.files('staging')).toEqual([]);
    expect(await cloud.files('local')).toContain(image.id);
    const download = await cloud.api(`/v2/images/${image.id}/file`);
    expect(Buffer.from(await download.arrayBuffer()).equals(tiny)).toBe(true);
  });

  it('creates with --import in the openstack CLI (stage + glance-direct import)', async () => {
    await cloud.openstack(['image', 'create', '--import', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', tinyPath, '--private', 'cli-imported'], cloud.alice);
    const { id } = JSON.parse(await cloud.openstack(['image', 'show', '-f', 'json', 'cli-imported'], cloud.alice)) as { id: string };
    expect(await cloud.settled(id)).toMatchObject({ status: 'active', size: tiny.length, checksum: md5(tiny), virtual_size: 64 * 1024 * 1024, stores: 'local' });
    const copyPath = join(cloud.aio.dataDir, 'cli-imported.qcow2');
    await cloud.openstack(['image', 'save', '--file', copyPath, id], cloud.alice);
    expect((await readFile(copyPath)).equals(tiny)).toBe(true);
    expect(await cloud.files('staging')).toEqual([]);
  });

  it('stages and imports with the glance CLI (image-stage, image-import)', async () => {
    const created = await cloud.createImage({ name: 'glance-cli', disk_format: 'qcow2' });
    await cloud.glance(['image-stage', '--file', tinyPath, created.id], cloud.alice);
    expect(await cloud.show(created.id)).toMatchObject({ status: 'uploading', size: tiny.length });
    await cloud.glance(['image-import', '--import-method', 'glance-direct', created.id], cloud.alice);
    expect(await cloud.settled(created.id)).toMatchObject({ status: 'active', checksum: md5(tiny), stores: 'local' });
  });

  it('answers out-of-order calls as Glance does, and leaves the image as it was', async () => {
    const image = await cloud.createImage({ name: 'order' });
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'glance-direct' } }), 409, "Image needs to be staged before 'glance-direct' method can be used");
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'copy-image' } }), 400, "Unknown import method name 'copy-image'.");
    await expectGlanceError(await cloud.import(image.id, {}), 400, "Import request requires a 'method' field.");
    await expectGlanceError(await cloud.stage(image.id, Buffer.from('x'), { 'Content-Type': 'text/plain' }), 415);
    expect((await cloud.stage(image.id, Buffer.from('data'))).status).toBe(204);
    await expectGlanceError(await cloud.stage(image.id, Buffer.from('again')), 409, 'Image status transition from uploading to uploading is not allowed');
    await expectGlanceError(await cloud.api(`/v2/images/${image.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: 'x' }), 409);
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'glance-direct' }, stores: ['nowhere'] }), 409, 'Store for identifier nowhere not found');
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'glance-direct' } }, { 'X-Image-Meta-Store': 'nowhere' }), 409);
    // Another project does not see the image; its owner's import is accepted.
    await expectGlanceError(await cloud.api(`/v2/images/${image.id}/import`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: { name: 'glance-direct' } }) }, cloud.bobToken), 404);
    expect((await cloud.import(image.id, { method: { name: 'glance-direct' } })).status).toBe(202);
    expect(await cloud.settled(image.id)).toMatchObject({ status: 'active', size: 4 });
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'glance-direct' } }), 409, 'Image with status active cannot be target for import');
    await expectGlanceError(await cloud.stage(image.id, Buffer.from('x')), 409, 'Image status transition from active to uploading is not allowed');

    const formatless = await cloud.createImage({ name: 'formatless', disk_format: undefined });
    expect((await cloud.stage(formatless.id, Buffer.from('data'))).status).toBe(204);
    await expectGlanceError(await cloud.import(formatless.id, { method: { name: 'glance-direct' } }), 409, "'disk_format' needs to be set before import");
    expect(await cloud.show(formatless.id)).toMatchObject({ status: 'uploading', size: 4 });
    // Its staged data goes with it.
    expect((await cloud.api(`/v2/images/${formatless.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await eventually(() => cloud.files('staging'), (files) => !files.includes(formatless.id))).not.toContain(formatless.id);
  });

  it('keeps nothing of a broken stage: the image is queued again, the staging area empty, and a new stage works', async () => {
    const image = await cloud.createImage({ name: 'broken-stage' });
    const url = new URL(`${cloud.aio.urls.image}/v2/images/${image.id}/stage`);
    const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers: { 'X-Auth-Token': cloud.aliceToken, 'Content-Type': 'application/octet-stream', 'Content-Length': 1024 * 1024 } });
    request.on('error', () => undefined);
    request.write(randomBytes(256 * 1024));
    // Half-way, once the service is taking the data: the client vanishes.
    expect((await eventually(() => cloud.show(image.id), (shown) => shown.status === 'uploading')).status).toBe('uploading');
    request.destroy();
    expect((await eventually(() => cloud.show(image.id), (shown) => shown.status === 'queued')).status).toBe('queued');
    expect(await cloud.files('staging')).toEqual([]);

    await expectGlanceError(await cloud.stage(image.id, randomBytes(SIZE_CAP + 1)), 413);
    expect(await cloud.show(image.id)).toMatchObject({ status: 'queued', size: null });
    expect(await cloud.files('staging')).toEqual([]);

    const data = randomBytes(300_000);
    expect((await cloud.stage(image.id, data)).status).toBe(204);
    expect((await cloud.import(image.id, { method: { name: 'glance-direct' } })).status).toBe(202);
    expect(await cloud.settled(image.id)).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
  });

  it('refuses a stage whose size differs from x-openstack-image-size, keeping nothing', async () => {
    const image = await cloud.createImage({ name: 'announced' });
    await expectGlanceError(await cloud.stage(image.id, Buffer.from('12345'), { 'x-openstack-image-size': '6' }), 400);
    expect(await cloud.show(image.id)).toMatchObject({ status: 'queued', size: null });
    expect(await cloud.files('staging')).toEqual([]);
  });

  it('removes the staged data of an image deleted before its import', async () => {
    const image = await cloud.createImage({ name: 'staged-then-deleted' });
    expect((await cloud.stage(image.id, Buffer.from('data'))).status).toBe(204);
    expect(await cloud.files('staging')).toContain(image.id);
    expect((await cloud.api(`/v2/images/${image.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await eventually(() => cloud.files('staging'), (files) => !files.includes(image.id))).not.toContain(image.id);
  });
});

describe('interoperable image import, configured: two stores, web-download allowed from 127.0.0.1', () => {
  let cloud: Cloud;
  let configDir: string;
  let web: Server;
  let webUrl: string;
  const asked: string[] = [];
  const served = randomBytes(200_000);

  beforeAll(async () => {
    // The tiny web server images come from, on the loopback address the settings allow.
    web = createServer((request, response) => {
      asked.push(request.url ?? '');
      switch (request.url ?? '') {
        case '/cirros.img':
          response.setHeader('Content-Length', served.length);
          response.end(served);
          break;
        case '/moved':
          response.writeHead(302, { Location: '/cirros.img' }).end();
          break;
        case '/to-localhost':
          response.writeHead(302, { Location: `http://localhost:${(web.address() as AddressInfo).port}/cirros.img` }).end();
          break;
        case '/to-metadata':
          response.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
          break;
        case '/huge':
          response.setHeader('Content-Length', SIZE_CAP + 1);
          response.end(Buffer.alloc(SIZE_CAP + 1));
          break;
        case '/huge-unannounced':
          response.write(Buffer.alloc(SIZE_CAP));
          response.end(Buffer.alloc(1024));
          break;
        default:
          response.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;

    configDir = await mkdtemp(join(tmpdir(), 'overcast-import-config-'));
    const configFile = join(configDir, 'overcast.yaml');
    await writeFile(configFile, 'image:\n  stores:\n    - { driver: file, id: local }\n    - { driver: file, id: fast }\n  defaultStore: local\n');
    cloud = new Cloud(
      await startAllInOne(ADMIN_PASSWORD, {
        OVERCAST_CONFIG_FILE: configFile,
        OVERCAST_IMAGE_IMAGE_SIZE_CAP: String(SIZE_CAP),
        OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
        OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      }),
    );
    await cloud.setUp();
  }, 180_000);

  afterAll(async () => {
    await cloud?.close();
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
    await rm(configDir, { recursive: true, force: true });
  });

  it('advertises web-download and both stores', async () => {
    expect(((await (await cloud.api('/v2/info/import')).json()) as { 'import-methods': { value: string[] } })['import-methods'].value).toEqual(['glance-direct', 'web-download']);
    expect(((await (await cloud.api('/v2/info/stores')).json()) as { stores: { id: string; default?: boolean }[] }).stores.map(({ id, default: isDefault }) => ({ id, isDefault }))).toEqual([
      { id: 'local', isDefault: true },
      { id: 'fast', isDefault: undefined },
    ]);
    const response = await cloud.api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'headers' }) });
    expect(response.headers.get('openstack-image-import-methods')).toBe('glance-direct,web-download');
    expect(response.headers.get('openstack-image-store-ids')).toBe('local,fast');
  });

  it('imports from an allowed URL with web-download, following a redirect', async () => {
    const image = await cloud.createImage({ name: 'from-the-web' });
    expect((await cloud.import(image.id, { method: { name: 'web-download', uri: `${webUrl}/moved` } })).status).toBe(202);
    expect(await cloud.settled(image.id)).toMatchObject({ status: 'active', size: served.length, virtual_size: served.length, checksum: md5(served), os_hash_value: sha512(served), stores: 'local', os_glance_failed_import: '' });
    expect(await cloud.files('staging')).toEqual([]);
    expect(await cloud.files('local')).toContain(image.id);
  });

  it('imports from the web with the glance CLI (image-create-via-import --import-method web-download)', async () => {
    const output = await cloud.glance(['--os-image-api-version', '2', 'image-create-via-import', '--disk-format', 'raw', '--container-format', 'bare', '--name', 'glance-web', '--import-method', 'web-download', '--uri', `${webUrl}/cirros.img`], cloud.alice);
    const id = /\|\s*id\s*\|\s*([0-9a-f-]{36})\s*\|/.exec(output)?.[1] as string;
    expect(await cloud.settled(id)).toMatchObject({ status: 'active', checksum: md5(served) });
  });

  it('refuses, with Glance’s 400, URLs the filter does not let through, and fetches nothing', async () => {
    const image = await cloud.createImage({ name: 'refused' });
    const port = (web.address() as AddressInfo).port;
    const before = asked.length;
    for (const [uri, reason] of [
      [`http://localhost:${port}/cirros.img`, 'the host localhost is not allowed'],
      [`file:///etc/passwd`, 'the scheme file is not allowed'],
      ['http://169.254.169.254/latest/meta-data/', 'the host 169.254.169.254 is not allowed'],
      [`http://[::1]:${port}/cirros.img`, 'the host ::1 is not allowed'],
    ] as const) {
      const response = await cloud.import(image.id, { method: { name: 'web-download', uri } });
      await expectGlanceError(response, 400, `URI for web-download does not pass filtering: ${uri} (${reason})`);
    }
    await expectGlanceError(await cloud.import(image.id, { method: { name: 'web-download' } }), 400, /^URI for web-download does not pass filtering/);
    expect(await cloud.show(image.id)).toMatchObject({ status: 'queued' });
    expect(asked.length).toBe(before);
  });

  it.each([
    ['a redirect to a host that is not allowed', '/to-localhost'],
    ['a redirect to the metadata service', '/to-metadata'],
    ['an error answer', '/missing'],
    ['an image beyond the size cap', '/huge'],
    ['an image beyond the size cap that did not say so', '/huge-unannounced'],
  ])('fails after the 202 on %s: the image queued again, os_glance_failed_import set, nothing kept', async (_case, path) => {
    const image = await cloud.createImage({ name: `failing${path}` });
    const before = { local: await cloud.files('local'), fast: await cloud.files('fast') };
    const requests = asked.length;
    expect((await cloud.import(image.id, { method: { name: 'web-download', uri: `${webUrl}${path}` } })).status).toBe(202);
    const failed = await cloud.settled(image.id);
    expect(failed).toMatchObject({ status: 'queued', size: null, os_glance_failed_import: 'local', os_glance_importing_to_stores: '' });
    expect(failed).not.toHaveProperty('os_glance_import_task');
    expect(await cloud.files('staging')).toEqual([]);
    expect({ local: await cloud.files('local'), fast: await cloud.files('fast') }).toEqual(before);
    // A refused redirect is not followed.
    expect(asked.slice(requests)).toEqual([path]);
  });

  it('imports into a named store (stores, or X-Image-Meta-Store), or into all of them', async () => {
    const data = randomBytes(50_000);
    const named = await cloud.createImage({ name: 'in-fast' });
    expect((await cloud.stage(named.id, data)).status).toBe(204);
    expect((await cloud.import(named.id, { method: { name: 'glance-direct' }, stores: ['fast'] })).status).toBe(202);
    expect(await cloud.settled(named.id)).toMatchObject({ status: 'active', stores: 'fast', checksum: md5(data) });
    expect(await cloud.files('fast')).toContain(named.id);
    expect(await cloud.files('local')).not.toContain(named.id);

    const byHeader = await cloud.createImage({ name: 'in-fast-by-header' });
    expect((await cloud.import(byHeader.id, { method: { name: 'web-download', uri: `${webUrl}/cirros.img` } }, { 'X-Image-Meta-Store': 'fast' })).status).toBe(202);
    expect(await cloud.settled(byHeader.id)).toMatchObject({ status: 'active', stores: 'fast' });

    const everywhere = await cloud.createImage({ name: 'everywhere' });
    expect((await cloud.stage(everywhere.id, data)).status).toBe(204);
    expect((await cloud.import(everywhere.id, { method: { name: 'glance-direct' }, all_stores: true })).status).toBe(202);
    expect(await cloud.settled(everywhere.id)).toMatchObject({ status: 'active', stores: 'fast,local', os_glance_failed_import: '' });
    for (const store of ['local', 'fast']) {
      expect(await cloud.files(store)).toContain(everywhere.id);
    }
    const download = await cloud.api(`/v2/images/${everywhere.id}/file`);
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    expect(await cloud.files('staging')).toEqual([]);
  });

  it('imports into a named store with the glance CLI (image-import --stores)', async () => {
    const data = randomBytes(10_000);
    const image = await cloud.createImage({ name: 'glance-cli-fast' });
    expect((await cloud.stage(image.id, data)).status).toBe(204);
    await cloud.glance(['image-import', '--import-method', 'glance-direct', '--stores', 'fast', image.id], cloud.alice);
    expect(await cloud.settled(image.id)).toMatchObject({ status: 'active', stores: 'fast' });
  });
});
