import { type ApiClient, createTempDir, eventually, type Json } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const run = promisify(execFile);

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

/** The request options that ask for a microversion. */
const at = (version: string) => ({ headers: { 'OpenStack-API-Version': `compute ${version}` } });

/** Each microversion's change, at the version before it and at its own. */
describe('compute API: the changes of each microversion', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let files: Awaited<ReturnType<typeof createTempDir>>;
  let imageId: string;

  /** A new server's id once it is ACTIVE (or `until`). */
  const boot = async (server: Record<string, unknown>, until = 'ACTIVE', client = alice) => {
    const created = await client.post('/v2.1/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: 'tiny', ...server } });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    const status = await eventually(async () => (await client.get(`/v2.1/servers/${id}`)).body.server?.status, (current) => current === until);
    expect(status).toBe(until);
    return id;
  };

  /** What `openssl` says of a certificate (PEM) and of a PKCS#12 bundle (base64) opened with the empty password. */
  const openssl = async (args: string[], input: { name: string; data: string | Buffer }) => {
    const file = join(files.path, input.name);
    await writeFile(file, input.data);
    return (await run('openssl', [...args, '-in', file])).stdout;
  };

  beforeAll(async () => {
    // Room for a server no host can hold: it must fail in the scheduler, not at the quota.
    compute = await startTestCompute({ OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1', OVERCAST_COMPUTE_QUOTA_CORES: '-1', OVERCAST_COMPUTE_QUOTA_RAM: '-1' });
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    admin = await compute.client(ADMIN);
    files = await createTempDir('microversions-test');
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.huge', id: 'huge', vcpus: 64, ram: 1048576, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    await compute.startFakeHost('host-a');
  }, 60_000);

  afterAll(async () => {
    await files?.remove();
    await compute?.close();
  });

  describe('2.2: keypair types', () => {
    it('answers a create with 201 and a delete with 204, showing the type everywhere (ssh by default)', async () => {
      const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'typed' } }, at('2.2'));
      expect(created.status).toBe(201);
      expect(created.body.keypair).toMatchObject({ name: 'typed', type: 'ssh', user_id: 'alice', private_key: expect.stringMatching(/^-----BEGIN RSA PRIVATE KEY-----\n/) });
      expect((await alice.get('/v2.1/os-keypairs/typed', at('2.2'))).body.keypair.type).toBe('ssh');
      expect((await alice.get('/v2.1/os-keypairs', at('2.2'))).body.keypairs).toEqual([{ keypair: { name: 'typed', public_key: expect.any(String), fingerprint: expect.any(String), type: 'ssh' } }]);
      // 2.1 shows no type.
      expect((await alice.get('/v2.1/os-keypairs/typed', at('2.1'))).body.keypair).not.toHaveProperty('type');
      expect((await alice.delete('/v2.1/os-keypairs/typed', at('2.2'))).status).toBe(204);
    });

    it('generates an x509 keypair as Nova does: a self-signed client certificate for the user, its key in PKCS#12 with no password', async () => {
      const created = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'winrm', type: 'x509' } }, at('2.2'));
      expect(created.status).toBe(201);
      const { public_key: certificate, private_key: bundle, fingerprint, type } = created.body.keypair;
      expect(type).toBe('x509');
      const text = await openssl(['x509', '-noout', '-subject', '-issuer', '-ext', 'extendedKeyUsage,subjectAltName', '-fingerprint', '-sha1'], { name: 'winrm.pem', data: certificate });
      expect(text).toContain('subject=CN = alice\nissuer=CN = alice\n');
      expect(text).toContain('TLS Web Client Authentication');
      expect(text).toContain('othername: UPN::alice@localhost');
      expect(`sha1 Fingerprint=${fingerprint.toUpperCase()}`).toBe(/sha1 Fingerprint=\S+/.exec(text)?.[0]);

      // The bundle holds the certificate and its key, under a MAC openssl verifies with the empty password.
      const opened = await openssl(['pkcs12', '-passin', 'pass:', '-nodes'], { name: 'winrm.p12', data: Buffer.from(bundle, 'base64') });
      const modulus = async (kind: 'x509' | 'rsa', pem: string) => openssl([kind, '-noout', '-modulus'], { name: `modulus.${kind}`, data: pem });
      expect(await modulus('rsa', /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(opened)?.[0] ?? '')).toBe(await modulus('x509', certificate));
      expect(opened).toContain(certificate.trim());

      const shown = (await alice.get('/v2.1/os-keypairs/winrm', at('2.2'))).body.keypair;
      expect(shown).toMatchObject({ type: 'x509', public_key: certificate, fingerprint });
      expect(shown).not.toHaveProperty('private_key');
    });

    it('imports an x509 certificate, fingerprinted by its SHA-1, and refuses one that is not', async () => {
      const generated = (await alice.post('/v2.1/os-keypairs', { keypair: { name: 'source', type: 'x509' } }, at('2.2'))).body.keypair;
      const imported = await alice.post('/v2.1/os-keypairs', { keypair: { name: 'imported', type: 'x509', public_key: generated.public_key } }, at('2.2'));
      expect(imported.status).toBe(201);
      expect(imported.body.keypair).toEqual({ name: 'imported', type: 'x509', public_key: generated.public_key, fingerprint: generated.fingerprint, user_id: 'alice' });
      expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'bad', type: 'x509', public_key: 'not a certificate' } }, at('2.2')), 400, /^Keypair data is invalid: failed to generate X509 fingerprint/);
      expectNovaError(await alice.post('/v2.1/os-keypairs', { keypair: { name: 'bad', type: 'rsa' } }, at('2.2')), 400);
    });
  });

  describe('2.3: more extended server attributes', () => {
    it('shows an admin the instance attributes the EC2 API needs, and each attached volume’s delete_on_termination', async () => {
      const userData = Buffer.from('#!/bin/sh\necho hello\n').toString('base64');
      const id = await boot({ name: 'Web Server 1', user_data: userData });
      // No block storage runs here: the volume is recorded as attached, as a boot from volume records it.
      await compute.dataSource.query('INSERT INTO block_device_mappings (id, instance_id, volume_id, device_name, boot_index, delete_on_termination, created_at) VALUES ($1, $2, $3, $4, NULL, true, now())', [randomUUID(), id, randomUUID(), 'vdb']);
      const attributes = ['reservation_id', 'launch_index', 'hostname', 'kernel_id', 'ramdisk_id', 'root_device_name', 'user_data'].map((name) => `OS-EXT-SRV-ATTR:${name}`);

      const before = (await admin.get(`/v2.1/servers/${id}`, at('2.2'))).body.server;
      for (const attribute of attributes) {
        expect(before).not.toHaveProperty([attribute]);
      }
      expect(before['os-extended-volumes:volumes_attached']).toEqual([{ id: expect.any(String) }]);

      const shown = (await admin.get(`/v2.1/servers/${id}`, at('2.3'))).body.server;
      expect(shown).toMatchObject({
        'OS-EXT-SRV-ATTR:reservation_id': expect.stringMatching(/^r-[0-9a-f]{8}$/),
        'OS-EXT-SRV-ATTR:launch_index': 0,
        'OS-EXT-SRV-ATTR:hostname': 'web-server-1',
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
        'OS-EXT-SRV-ATTR:user_data': userData,
        'os-extended-volumes:volumes_attached': [{ id: expect.any(String), delete_on_termination: true }],
      });
      const listed = (await admin.get('/v2.1/servers/detail?all_tenants=1', at('2.3'))).body.servers.find((server: Json) => server.id === id);
      expect(listed['OS-EXT-SRV-ATTR:reservation_id']).toBe(shown['OS-EXT-SRV-ATTR:reservation_id']);

      // Where and how a server runs stays the admin's.
      const own = (await alice.get(`/v2.1/servers/${id}`, at('2.3'))).body.server;
      for (const attribute of attributes) {
        expect(own).not.toHaveProperty([attribute]);
      }
      expect(own['os-extended-volumes:volumes_attached']).toEqual([{ id: expect.any(String), delete_on_termination: true }]);
    });
  });

  describe('2.5: ip6 for members', () => {
    it('filters a member’s list by IPv6 address from 2.5; before, Nova drops the filter', async () => {
      // A project of its own: its networks would leave alice's servers more than one to choose from.
      const carol: TestCaller = { projectId: 'carol-project', roles: ['member'], userId: 'carol' };
      const network = compute.networkApi.as(await compute.token(carol));
      const member = await compute.client(carol);
      const dual = (await network.post('/v2.0/networks', { network: { name: 'dual' } })).body.network;
      expect((await network.post('/v2.0/subnets', { subnet: { network_id: dual.id, cidr: '10.30.0.0/24', ip_version: 4 } })).status).toBe(201);
      expect((await network.post('/v2.0/subnets', { subnet: { network_id: dual.id, cidr: '2001:db8:30::/64', ip_version: 6 } })).status).toBe(201);
      const v4 = (await network.post('/v2.0/networks', { network: { name: 'v4' } })).body.network;
      expect((await network.post('/v2.0/subnets', { subnet: { network_id: v4.id, cidr: '10.31.0.0/24', ip_version: 4 } })).status).toBe(201);
      const image = await compute.uploadImage(carol);
      const dualStack = await boot({ name: 'dual-stack', imageRef: image, networks: [{ uuid: dual.id }] }, 'ACTIVE', member);
      const v4Only = await boot({ name: 'v4-only', imageRef: image, networks: [{ uuid: v4.id }] }, 'ACTIVE', member);
      const ids = async (query: string, version: string, client = member) => (await client.get(`/v2.1/servers?${query}`, at(version))).body.servers.map((server: Json) => server.id);

      expect(await ids('ip6=2001:db8:30:', '2.4')).toEqual(expect.arrayContaining([dualStack, v4Only]));
      expect(await ids('ip6=2001:db8:30:', '2.5')).toEqual([dualStack]);
      expect(await ids('ip6=2001:db8:31:', '2.5')).toEqual([]);
      // An IPv4 address is no match for ip6; with ip, either one matches.
      expect(await ids('ip6=10.31', '2.5')).toEqual([]);
      expect((await ids('ip=10.31.&ip6=2001:db8:30:', '2.5')).sort()).toEqual([dualStack, v4Only].sort());
      // An admin could always filter by it.
      expect(await ids('ip6=2001:db8:30:&all_tenants=1', '2.1', admin)).toEqual([dualStack]);
    });
  });

  describe('2.6 and 2.8: remote consoles', () => {
    it('answers as a Nova with no console enabled: the type is unavailable; the server must have a host', async () => {
      const id = await boot({ name: 'console' });
      const console = (protocol: string, type: string, version: string, client = alice) => client.post(`/v2.1/servers/${id}/remote-consoles`, { remote_console: { protocol, type } }, at(version));
      expectNovaError(await console('vnc', 'novnc', '2.5'), 404, 'The resource could not be found.');
      expectNovaError(await console('vnc', 'novnc', '2.6'), 400, 'Unavailable console type novnc.');
      expectNovaError(await console('spice', 'spice-html5', '2.6'), 400, 'Unavailable console type spice-html5.');
      expectNovaError(await console('serial', 'serial', '2.6'), 400, 'Unavailable console type serial.');
      expectNovaError(await console('rdp', 'rdp-html5', '2.6'), 400, 'Unavailable console type rdp.');
      // VMware's mks console is a 2.8 protocol.
      expectNovaError(await console('mks', 'webmks', '2.7'), 400, /^Invalid input for field 'remote_console\/protocol'/);
      expectNovaError(await console('mks', 'webmks', '2.8'), 400, 'Unavailable console type webmks.');
      expectNovaError(await console('vnc', 'sdl', '2.8'), 400, /^Invalid input for field 'remote_console\/type'/);
      expectNovaError(await alice.post(`/v2.1/servers/${id}/remote-consoles`, { remote_console: { protocol: 'vnc' } }, at('2.6')), 400);

      expectNovaError(await console('vnc', 'novnc', '2.6', bob), 404, `Instance ${id} could not be found.`);
      const reader = await compute.client({ ...ALICE, roles: ['reader'] });
      expectNovaError(await console('vnc', 'novnc', '2.6', reader), 403);
      const unplaced = await boot({ name: 'unplaced', flavorRef: 'huge' }, 'ERROR');
      expectNovaError(await alice.post(`/v2.1/servers/${unplaced}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, at('2.6')), 409, `Instance ${unplaced} is not ready`);
    });
  });

  describe('2.7: flavor access to a public flavor', () => {
    it('is a conflict from 2.7; before, Nova records it', async () => {
      expect((await admin.post('/v2.1/flavors/tiny/action', { addTenantAccess: { tenant: 'p-old' } }, at('2.6'))).status).toBe(200);
      expectNovaError(await admin.post('/v2.1/flavors/tiny/action', { addTenantAccess: { tenant: 'p-new' } }, at('2.7')), 409, 'Can not add access to a public flavor.');
    });
  });

  describe('2.9: locked', () => {
    it('says whether the server is locked in its show, list, update and rebuild views', async () => {
      const id = await boot({ name: 'lockable' });
      expect((await alice.get(`/v2.1/servers/${id}`, at('2.8'))).body.server).not.toHaveProperty('locked');
      expect((await alice.put(`/v2.1/servers/${id}`, { server: { name: 'lockable-2' } }, at('2.8'))).body.server).not.toHaveProperty('locked');
      expect((await alice.get(`/v2.1/servers/${id}`, at('2.9'))).body.server.locked).toBe(false);
      expect((await alice.post(`/v2.1/servers/${id}/action`, { lock: null })).status).toBe(202);
      expect((await alice.get(`/v2.1/servers/${id}`, at('2.9'))).body.server.locked).toBe(true);
      expect((await alice.get('/v2.1/servers/detail', at('2.9'))).body.servers.find((server: Json) => server.id === id).locked).toBe(true);
      const updated = await alice.put(`/v2.1/servers/${id}`, { server: { name: 'lockable-3' } }, at('2.9'));
      expect(updated.body.server).toMatchObject({ name: 'lockable-3', locked: true });
      expect((await alice.post(`/v2.1/servers/${id}/action`, { unlock: null })).status).toBe(202);
      const rebuilt = await alice.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: imageId } }, at('2.9'));
      expect(rebuilt.status).toBe(202);
      expect(rebuilt.body.server.locked).toBe(false);
      const rebuiltBefore = (await eventually(async () => alice.post(`/v2.1/servers/${id}/action`, { rebuild: { imageRef: imageId } }, at('2.8')), (answer) => answer.status === 202)).body.server;
      expect(rebuiltBefore).not.toHaveProperty('locked');
    });
  });

  describe('2.10: keypairs of other users', () => {
    it('lets an admin create, list, show and delete another user’s keypairs; the user_id is ignored or refused before', async () => {
      const created = await admin.post('/v2.1/os-keypairs', { keypair: { name: 'for-alice', user_id: 'alice' } }, at('2.10'));
      expect(created.status).toBe(201);
      expect(created.body.keypair).toMatchObject({ name: 'for-alice', user_id: 'alice', type: 'ssh' });
      expect((await alice.get('/v2.1/os-keypairs/for-alice', at('2.10'))).body.keypair.user_id).toBe('alice');
      expect((await admin.get('/v2.1/os-keypairs?user_id=alice', at('2.10'))).body.keypairs.map((entry: Json) => entry.keypair.name)).toContain('for-alice');
      expect((await admin.get('/v2.1/os-keypairs/for-alice?user_id=alice', at('2.10'))).body.keypair).toMatchObject({ name: 'for-alice', user_id: 'alice' });

      expectNovaError(await admin.post('/v2.1/os-keypairs', { keypair: { name: 'early', user_id: 'alice' } }, at('2.9')), 400);
      expectNovaError(await admin.get('/v2.1/os-keypairs/for-alice?user_id=alice', at('2.9')), 404, 'Keypair for-alice not found for user admin');
      expectNovaError(await bob.get('/v2.1/os-keypairs/for-alice?user_id=alice', at('2.10')), 403);
      expectNovaError(await bob.post('/v2.1/os-keypairs', { keypair: { name: 'theirs', user_id: 'alice' } }, at('2.10')), 403);

      expect((await admin.delete('/v2.1/os-keypairs/for-alice?user_id=alice', at('2.10'))).status).toBe(204);
      expectNovaError(await alice.get('/v2.1/os-keypairs/for-alice', at('2.10')), 404);
    });
  });

  describe('2.11: forcing a compute service down', () => {
    it('shows forced_down and lets an admin force a host down (it reads as down) and up again', async () => {
      const service = async (version: string) => (await admin.get('/v2.1/os-services?host=host-a', at(version))).body.services[0];
      expect(await service('2.10')).not.toHaveProperty('forced_down');
      expect(await service('2.11')).toMatchObject({ forced_down: false, state: 'up' });

      const forced = await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute', forced_down: true }, at('2.11'));
      expect(forced.status).toBe(200);
      expect(forced.body).toEqual({ service: { host: 'host-a', binary: 'nova-compute', forced_down: true } });
      expect(await service('2.11')).toMatchObject({ forced_down: true, state: 'down', status: 'enabled' });
      expect((await admin.get('/v2.1/os-hypervisors/detail')).body.hypervisors[0].state).toBe('down');

      // oslo's words are booleans too.
      const lifted = await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute', forced_down: 'no' }, at('2.11'));
      expect(lifted.body.service.forced_down).toBe(false);
      expect(await service('2.11')).toMatchObject({ forced_down: false, state: 'up' });
    });

    it('refuses a force-down before 2.11 and a bad one with Nova’s errors', async () => {
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute' }, at('2.10')), 404, 'Unknown action');
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute', forced_down: true }, at('2.10')), 400);
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute' }, at('2.11')), 400, 'Missing forced_down field');
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute', forced_down: 'maybe' }, at('2.11')), 400);
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-scheduler', forced_down: true }, at('2.11')), 400, 'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.');
      expectNovaError(await admin.put('/v2.1/os-services/force-down', { host: 'host-z', binary: 'nova-compute', forced_down: true }, at('2.11')), 404, 'Could not find binary nova-compute on host host-z.');
      expectNovaError(await alice.put('/v2.1/os-services/force-down', { host: 'host-a', binary: 'nova-compute', forced_down: true }, at('2.11')), 403);
    });
  });

  describe('2.13 and 2.15: server groups', () => {
    it('shows a group’s project and user from 2.13', async () => {
      const created = await alice.post('/v2.1/os-server-groups', { server_group: { name: 'owned', policies: ['affinity'] } }, at('2.12'));
      expect(created.body.server_group).not.toHaveProperty('project_id');
      const { id } = created.body.server_group;
      expect((await alice.get(`/v2.1/os-server-groups/${id}`, at('2.13'))).body.server_group).toMatchObject({ id, project_id: ALICE.projectId, user_id: ALICE.userId });
      expect((await alice.get('/v2.1/os-server-groups', at('2.13'))).body.server_groups[0]).toMatchObject({ project_id: ALICE.projectId, user_id: ALICE.userId });
    });

    it('takes the soft policies from 2.15', async () => {
      expectNovaError(await alice.post('/v2.1/os-server-groups', { server_group: { name: 'soft', policies: ['soft-affinity'] } }, at('2.14')), 400);
      for (const policy of ['soft-affinity', 'soft-anti-affinity']) {
        const created = await alice.post('/v2.1/os-server-groups', { server_group: { name: policy, policies: [policy] } }, at('2.15'));
        expect(created.status).toBe(200);
        expect(created.body.server_group).toMatchObject({ name: policy, policies: [policy], metadata: {} });
      }
    });
  });
});
