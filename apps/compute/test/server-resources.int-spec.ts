import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };

/** What Nova serves around a server beyond its CRUD: metadata, ips, the image and security-group proxies, and the update view. */
describe('compute API: server metadata, ips, the image and security-group proxies', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  let imageId: string;
  let networkName: string;
  let networkId: string;

  const activeServer = async (server: Record<string, unknown> = {}) => {
    const created = await alice.post('/v2.1/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: 'tiny', networks: [{ uuid: networkId }], ...server } });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    const shown = await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).body?.server, (body: Json) => body?.status === 'ACTIVE');
    expect(shown?.status).toBe('ACTIVE');
    return { id, created };
  };

  beforeAll(async () => {
    compute = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_METADATA_ITEMS: '3' });
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    const admin = await compute.client({ projectId: 'admin-project', roles: ['admin'], userId: 'admin' });
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    await compute.startFakeHost('host-a');
    imageId = await compute.uploadImage(ALICE);
    const network = compute.networkApi.as(await compute.token(ALICE));
    networkName = 'net-a';
    networkId = (await network.post('/v2.0/networks', { network: { name: networkName } })).body.network.id;
    expect((await network.post('/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.30.0.0/24', ip_version: 4 } })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('answers the create with the admin password asked for and both request-id headers', async () => {
    const { created } = await activeServer({ adminPass: 'chosen-secret' });
    expect(created.body.server.adminPass).toBe('chosen-secret');
    expect(created.headers.get('x-compute-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(created.headers.get('x-compute-request-id')).toBe(created.headers.get('x-openstack-request-id'));
  });

  it('updates name and access IPs, keeping IPv6 as Nova does, and answers the basic view', async () => {
    const { id } = await activeServer();
    const updated = await alice.put(`/v2.1/servers/${id}`, { server: { name: 'renamed', accessIPv4: '1.1.1.1', accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' } });
    expect(updated.status).toBe(200);
    expect(updated.body.server).toMatchObject({ name: 'renamed', accessIPv4: '1.1.1.1', accessIPv6: '::babe:dc0c:1602' });
    expect(updated.body.server).not.toHaveProperty('OS-EXT-STS:vm_state');
    expect(updated.body.server).not.toHaveProperty('key_name');
    expect(Object.values(updated.body.server.addresses as Record<string, Json[]>)[0]?.[0]).toEqual({ version: 4, addr: expect.stringMatching(/^10\.30\.0\./) });
    expectNovaError(await alice.put(`/v2.1/servers/${id}`, { server: { name: '' } }), 400);
    expectNovaError(await alice.put(`/v2.1/servers/${id}`, { server: { accessIPv4: 'not-an-ip' } }), 400);
    expectNovaError(await bob.put(`/v2.1/servers/${id}`, { server: { name: 'mine' } }), 404);
  });

  it('refuses a changes-since that is not ISO 8601', async () => {
    expectNovaError(await alice.get('/v2.1/servers?changes-since=2011/01/01'), 400);
    expect((await alice.get('/v2.1/servers?changes-since=2011-01-01T00:00:00Z')).status).toBe(200);
  });

  it('serves the metadata of a server: set, merge, replace, one item, within the quota, to its project only', async () => {
    const { id } = await activeServer({ metadata: { a: '1' } });
    expect((await alice.get(`/v2.1/servers/${id}/metadata`)).body).toEqual({ metadata: { a: '1' } });
    expect((await alice.post(`/v2.1/servers/${id}/metadata`, { metadata: { b: '2' } })).body).toEqual({ metadata: { a: '1', b: '2' } });
    expect((await alice.put(`/v2.1/servers/${id}/metadata`, { metadata: { c: '3' } })).body).toEqual({ metadata: { c: '3' } });
    expect((await alice.put(`/v2.1/servers/${id}/metadata/d`, { meta: { d: '4' } })).body).toEqual({ meta: { d: '4' } });
    expect((await alice.get(`/v2.1/servers/${id}/metadata/d`)).body).toEqual({ meta: { d: '4' } });
    expect((await alice.delete(`/v2.1/servers/${id}/metadata/d`)).status).toBe(204);
    expectNovaError(await alice.get(`/v2.1/servers/${id}/metadata/d`), 404, 'Metadata item was not found');
    expectNovaError(await alice.delete(`/v2.1/servers/${id}/metadata/d`), 404);
    expectNovaError(await alice.put(`/v2.1/servers/${id}/metadata/e`, { meta: { f: '5' } }), 400, 'Request body and URI mismatch');
    expectNovaError(await alice.put(`/v2.1/servers/${id}/metadata/e`, { meta: { e: '5', f: '6' } }), 400, 'Request body contains too many items');
    expectNovaError(await alice.post(`/v2.1/servers/${id}/metadata`, { metadata: { ['k'.repeat(256)]: 'v' } }), 400);
    expectNovaError(await alice.post(`/v2.1/servers/${id}/metadata`, { metadata: { w: '1', x: '2', y: '3' } }), 403, /^Quota exceeded for metadata_items/);
    expectNovaError(await bob.get(`/v2.1/servers/${id}/metadata`), 404);
    expectNovaError(await bob.post(`/v2.1/servers/${id}/metadata`, { metadata: { z: '1' } }), 404);
    expect((await alice.get(`/v2.1/servers/${id}`)).body.server.metadata).toEqual({ c: '3' });
  });

  it('lists the addresses of a server, all or on one network', async () => {
    const { id } = await activeServer();
    const all = await alice.get(`/v2.1/servers/${id}/ips`);
    expect(all.body).toEqual({ addresses: { [networkName]: [{ version: 4, addr: expect.stringMatching(/^10\.30\.0\./) }] } });
    expect((await alice.get(`/v2.1/servers/${id}/ips/${networkName}`)).body).toEqual({ [networkName]: all.body.addresses[networkName] });
    expectNovaError(await alice.get(`/v2.1/servers/${id}/ips/elsewhere`), 404, 'Instance is not a member of specified network');
    expectNovaError(await bob.get(`/v2.1/servers/${id}/ips`), 404);
  });

  it('proxies the image service: shows a snapshot as Nova 2.1 does, lists, and deletes it', async () => {
    const { id } = await activeServer();
    const snapshot = await alice.post(`/v2.1/servers/${id}/action`, { createImage: { name: 'snap', metadata: { image_type: 'test' } } });
    const snapshotId = snapshot.headers.get('location')?.split('/').pop() as string;
    const image = await eventually(async () => (await alice.get(`/v2.1/images/${snapshotId}`)).body?.image, (shown: Json) => shown?.status === 'ACTIVE');
    expect(image).toMatchObject({ id: snapshotId, name: 'snap', status: 'ACTIVE', progress: 100, minDisk: 0, minRam: 0, metadata: { image_type: 'test', instance_uuid: id }, server: { id } });
    expect(image.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect((await alice.get('/v2.1/images')).body.images).toContainEqual({ id: snapshotId, name: 'snap', links: expect.any(Array) });
    expect((await alice.get('/v2.1/images/detail?server=' + id)).body.images.map((listed: Json) => listed.id)).toEqual([snapshotId]);
    expectNovaError(await bob.get(`/v2.1/images/${snapshotId}`), 404, 'Image not found.');
    expectNovaError(await bob.delete(`/v2.1/images/${snapshotId}`), 404);
    expect((await alice.delete(`/v2.1/images/${snapshotId}`)).status).toBe(204);
    expectNovaError(await alice.get(`/v2.1/images/${snapshotId}`), 404);
  });

  it('proxies the security groups: CRUD, a server’s groups, and no deleting one in use', async () => {
    const created = await alice.post('/v2.1/os-security-groups', { security_group: { name: ' web ', description: 'web servers' } });
    expect(created.status).toBe(200);
    const group = created.body.security_group;
    expect(group).toMatchObject({ id: expect.any(String), name: ' web ', description: 'web servers', tenant_id: ALICE.projectId, rules: expect.any(Array) });
    expect((await alice.get(`/v2.1/os-security-groups/${group.id}`)).body.security_group).toEqual(group);
    expect((await alice.get('/v2.1/os-security-groups')).body.security_groups).toContainEqual(group);
    const updated = await alice.put(`/v2.1/os-security-groups/${group.id}`, { security_group: { name: 'web2', description: 'renamed' } });
    expect(updated.body.security_group).toMatchObject({ name: 'web2', description: 'renamed' });
    expectNovaError(await alice.post('/v2.1/os-security-groups', { security_group: { name: 'x' } }), 400);
    expectNovaError(await bob.get(`/v2.1/os-security-groups/${group.id}`), 404);
    expectNovaError(await alice.get(`/v2.1/os-security-groups/${randomUUID()}`), 404);
    expectNovaError(await alice.put(`/v2.1/os-security-groups/${randomUUID()}`, { security_group: { name: 'a', description: 'b' } }), 404);

    const { id } = await activeServer();
    expect((await alice.post(`/v2.1/servers/${id}/action`, { addSecurityGroup: { name: 'web2' } })).status).toBe(202);
    const ofServer = (await alice.get(`/v2.1/servers/${id}/os-security-groups`)).body.security_groups as Json[];
    expect(ofServer.map((listed) => listed.name).sort()).toEqual(['default', 'web2']);
    expectNovaError(await alice.delete(`/v2.1/os-security-groups/${group.id}`), 400);
    const defaultGroup = ofServer.find((listed) => listed.name === 'default') as Json;
    expectNovaError(await alice.delete(`/v2.1/os-security-groups/${defaultGroup.id}`), 400);

    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).status, (status) => status === 404);
    expect((await alice.delete(`/v2.1/os-security-groups/${group.id}`)).status).toBe(202);
    expectNovaError(await alice.delete(`/v2.1/os-security-groups/${group.id}`), 404);
  });

  it('gives back the port of a server deleted while it was being built', async () => {
    const network = compute.networkApi.as(await compute.token(ALICE));
    const created = await alice.post('/v2.1/servers', { server: { name: 'short-lived', imageRef: imageId, flavorRef: 'tiny', networks: [{ uuid: networkId }] } });
    const id = created.body.server.id as string;
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).status, (status) => status === 404);
    const ports = await eventually(async () => (await network.get(`/v2.0/ports?device_id=${id}`)).body.ports as Json[], (listed) => listed.length === 0);
    expect(ports).toEqual([]);
  });
});
