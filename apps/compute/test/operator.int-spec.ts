import { COMPUTE_PROTOCOL_VERSION } from '@overcast/compute/contracts';
import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { expectNovaError, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

/** Nova's timestamps: ISO 8601 with microseconds and no zone. */
const NOVA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
/** A usage query's date, in the first format Nova takes (`%Y-%m-%dT%H:%M:%S`). */
const usageDate = (milliseconds: number) => new Date(milliseconds).toISOString().slice(0, 19);

describe('compute API: the operator and accounting views', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let imageId: string;
  /** Alice's server, ACTIVE on one of the hosts for the whole suite. */
  let serverId: string;

  const waitForStatus = async (id: string, statuses: string[]) => {
    const server = await eventually(
      async () => (await admin.get(`/v2.1/servers/${id}`)).body?.server,
      (body: Json) => body !== undefined && statuses.includes(body.status),
      10_000,
    );
    expect(statuses).toContain(server?.status);
    return server;
  };
  const boot = async (client: ApiClient, name: string) => client.post('/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: 'tiny' } });
  const hypervisorOf = async (host: string) => ((await admin.get('/v2.1/os-hypervisors/detail')).body.hypervisors as Json[]).find((hypervisor) => hypervisor.service.host === host);

  beforeAll(async () => {
    compute = await startTestCompute();
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    admin = await compute.client(ADMIN);
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    // host-a has the most RAM, so spreading puts Alice's server there.
    await compute.startFakeHost('host-a', { vcpus: 8, memoryMb: 16384, localGb: 200 });
    await compute.startFakeHost('host-b', { vcpus: 4, memoryMb: 8192, localGb: 100 });
    const created = await boot(alice, 'accounted');
    expect(created.status).toBe(202);
    serverId = created.body.server.id;
    expect((await waitForStatus(serverId, ['ACTIVE']))['OS-EXT-SRV-ATTR:host']).toBe('host-a');
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  describe('os-hypervisors', () => {
    it('lists each host with its state and status, and in detail its size, what its servers take and how guests run', async () => {
      const list = await admin.get('/v2.1/os-hypervisors');
      expect(list.status).toBe(200);
      expect(list.body.hypervisors).toEqual(['host-a', 'host-b'].map((host) => ({ id: expect.any(String), hypervisor_hostname: host, state: 'up', status: 'enabled' })));

      const hypervisor = await hypervisorOf('host-a');
      expect(hypervisor).toEqual({
        id: list.body.hypervisors[0].id,
        hypervisor_hostname: 'host-a',
        state: 'up',
        status: 'enabled',
        hypervisor_type: 'fake',
        hypervisor_version: 1000,
        host_ip: '127.0.0.1',
        service: { host: 'host-a', id: list.body.hypervisors[0].id, disabled_reason: null },
        vcpus: 8,
        memory_mb: 16384,
        local_gb: 200,
        vcpus_used: 1,
        memory_mb_used: 128,
        local_gb_used: 1,
        free_ram_mb: 16384 - 128,
        free_disk_gb: 199,
        current_workload: 0,
        running_vms: 1,
        disk_available_least: 199,
        cpu_info: expect.any(String),
      });
      // A JSON string at 2.1, saying how guests run on the host.
      expect(JSON.parse(hypervisor?.cpu_info)).toMatchObject({ arch: 'x86_64', virt_type: 'fake', virt_type_reason: expect.any(String) });

      expect((await admin.get(`/v2.1/os-hypervisors/${hypervisor?.id}`)).body.hypervisor).toEqual(hypervisor);
      expectNovaError(await admin.get('/v2.1/os-hypervisors/42'), 404, "Hypervisor with ID '42' could not be found.");
      expectNovaError(await admin.get('/v2.1/os-hypervisors/00000000-0000-4000-8000-000000000000'), 404);
      // The agents do not report uptime: Nova's answer for a driver that cannot tell, which the CLI's `hypervisor show` passes over.
      expectNovaError(await admin.get(`/v2.1/os-hypervisors/${hypervisor?.id}/uptime`), 501, 'The requested functionality is not supported.');
      expectNovaError(await admin.get('/v2.1/os-hypervisors/00000000-0000-4000-8000-000000000000/uptime'), 404);
    });

    it('adds the enabled hosts up in statistics', async () => {
      const statistics = (await admin.get('/v2.1/os-hypervisors/statistics')).body.hypervisor_statistics;
      expect(statistics).toEqual({
        count: 2,
        vcpus: 12,
        memory_mb: 24576,
        local_gb: 300,
        vcpus_used: 1,
        memory_mb_used: 128,
        local_gb_used: 1,
        free_ram_mb: 24576 - 128,
        free_disk_gb: 299,
        current_workload: 0,
        running_vms: 1,
        disk_available_least: 299,
      });
    });

    it('searches hypervisors by hostname and shows the servers they run', async () => {
      const search = await admin.get('/v2.1/os-hypervisors/host-/search');
      expect(search.body.hypervisors.map((hypervisor: Json) => hypervisor.hypervisor_hostname)).toEqual(['host-a', 'host-b']);
      expect(search.body.hypervisors[0]).not.toHaveProperty('vcpus');
      const servers = (await admin.get('/v2.1/os-hypervisors/host/servers')).body.hypervisors;
      expect(servers[0]).toMatchObject({ hypervisor_hostname: 'host-a', servers: [{ uuid: serverId, name: `instance-${serverId}` }] });
      // A hypervisor that runs nothing has no `servers` at 2.1.
      expect(servers[1]).not.toHaveProperty('servers');
      expectNovaError(await admin.get('/v2.1/os-hypervisors/nowhere/search'), 404, "No hypervisor matching 'nowhere' could be found.");
      expectNovaError(await admin.get('/v2.1/os-hypervisors/nowhere/servers'), 404);
    });

    it('is the operator’s: a member gets 403 everywhere', async () => {
      const { id } = (await admin.get('/v2.1/os-hypervisors')).body.hypervisors[0];
      for (const path of ['', '/detail', '/statistics', `/${id}`, `/${id}/uptime`, '/host/search', '/host/servers']) {
        expectNovaError(await alice.get(`/v2.1/os-hypervisors${path}`), 403);
      }
    });
  });

  describe('agent protocol versions', () => {
    it("keeps the version each host's agent reports at: its release's (an older agent's: agent-versions.int-spec)", async () => {
      const rows = await compute.dataSource.query<{ host: string; bus_version: string }[]>('SELECT host, bus_version FROM compute_nodes ORDER BY host');
      expect(rows).toEqual([
        { host: 'host-a', bus_version: COMPUTE_PROTOCOL_VERSION },
        { host: 'host-b', bus_version: COMPUTE_PROTOCOL_VERSION },
      ]);
    });
  });

  describe('os-services', () => {
    it('lists the compute hosts as nova-compute services, filtered by host and binary', async () => {
      const services = (await admin.get('/v2.1/os-services')).body.services as Json[];
      expect(services).toEqual(
        ['host-a', 'host-b'].map((host) => ({ binary: 'nova-compute', host, id: expect.any(String), zone: 'nova', status: 'enabled', state: 'up', updated_at: expect.stringMatching(NOVA_TIME), disabled_reason: null })),
      );
      expect((await admin.get('/v2.1/os-services?host=host-b')).body.services.map((service: Json) => service.host)).toEqual(['host-b']);
      expect((await admin.get('/v2.1/os-services?binary=nova-compute&host=host-a')).body.services).toHaveLength(1);
      expect((await admin.get('/v2.1/os-services?binary=nova-scheduler')).body.services).toEqual([]);
      expectNovaError(await alice.get('/v2.1/os-services'), 403);
    });

    it('disables hosts with a reason, so the scheduler puts a new server in ERROR naming it, and enables them again', async () => {
      for (const host of ['host-a', 'host-b']) {
        const disabled = await admin.put('/v2.1/os-services/disable-log-reason', { host, binary: 'nova-compute', disabled_reason: 'maintenance' });
        expect(disabled.status).toBe(200);
        expect(disabled.body).toEqual({ service: { host, binary: 'nova-compute', status: 'disabled', disabled_reason: 'maintenance' } });
      }
      expect((await admin.get('/v2.1/os-services?host=host-a')).body.services[0]).toMatchObject({ status: 'disabled', disabled_reason: 'maintenance' });
      expect((await hypervisorOf('host-a'))?.service.disabled_reason).toBe('maintenance');
      // Statistics count enabled hosts only.
      expect((await admin.get('/v2.1/os-hypervisors/statistics')).body.hypervisor_statistics.count).toBe(0);

      const created = await boot(alice, 'unplaceable');
      const failed = await waitForStatus(created.body.server.id, ['ERROR']);
      expect(failed.fault.message).toContain('host-a: ComputeFilter: the host is disabled (maintenance)');
      expect((await alice.delete(`/v2.1/servers/${created.body.server.id}`)).status).toBe(204);

      // A plain disable records no reason.
      expect((await admin.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-compute', disabled_reason: 'ignored' })).body).toEqual({ service: { host: 'host-a', binary: 'nova-compute', status: 'disabled' } });
      expect((await admin.get('/v2.1/os-services?host=host-a')).body.services[0].disabled_reason).toBeNull();
      for (const host of ['host-a', 'host-b']) {
        expect((await admin.put('/v2.1/os-services/enable', { host, binary: 'nova-compute' })).body).toEqual({ service: { host, binary: 'nova-compute', status: 'enabled' } });
      }
      expect((await admin.get('/v2.1/os-services')).body.services.map((service: Json) => [service.status, service.disabled_reason])).toEqual([
        ['enabled', null],
        ['enabled', null],
      ]);
    }, 30_000);

    it('refuses bad updates with Nova’s errors', async () => {
      expectNovaError(await admin.put('/v2.1/os-services/disable-log-reason', { host: 'host-a', binary: 'nova-compute' }), 400, 'Missing disabled reason field');
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host-a' }), 400);
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-compute', colour: 'red' }), 400);
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host a', binary: 'nova-compute' }), 400);
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-compute', disabled_reason: '' }), 400);
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-scheduler' }), 400, 'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.');
      expectNovaError(await admin.put('/v2.1/os-services/disable', { host: 'host-z', binary: 'nova-compute' }), 404, 'Could not find binary nova-compute on host host-z.');
      expectNovaError(await admin.put('/v2.1/os-services/explode', { host: 'host-a', binary: 'nova-compute' }), 404, 'Unknown action');
      expectNovaError(await alice.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-compute' }), 403);
    });

    it('deletes a host that runs nothing, and refuses one that runs servers', async () => {
      const idle = await compute.startFakeHost('host-idle');
      const services = (await admin.get('/v2.1/os-services')).body.services as Json[];
      const idOf = (host: string) => services.find((service) => service.host === host)?.id as string;
      expectNovaError(await admin.delete(`/v2.1/os-services/${idOf('host-a')}`), 409, 'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      expectNovaError(await alice.delete(`/v2.1/os-services/${idOf('host-idle')}`), 403);
      expectNovaError(await admin.delete('/v2.1/os-services/7'), 400, 'Invalid uuid 7');
      expectNovaError(await admin.delete('/v2.1/os-services/00000000-0000-4000-8000-000000000000'), 404, 'Service 00000000-0000-4000-8000-000000000000 not found.');

      // Its agent stopped first: a running one registers its host again, as a nova-compute does.
      await idle.agent.close();
      expect((await admin.delete(`/v2.1/os-services/${idOf('host-idle')}`)).status).toBe(204);
      expect((await admin.get('/v2.1/os-services')).body.services.map((service: Json) => service.host)).toEqual(['host-a', 'host-b']);
    });

    it('keeps the agent’s own reports from undoing an operator’s disable', async () => {
      await admin.put('/v2.1/os-services/disable-log-reason', { host: 'host-a', binary: 'nova-compute', disabled_reason: 'kept' });
      // The fake host reports every second.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await hypervisorOf('host-a'))?.status).toBe('disabled');
      await admin.put('/v2.1/os-services/enable', { host: 'host-a', binary: 'nova-compute' });
    });
  });

  describe('os-availability-zone', () => {
    it('lists zones for members, and their hosts for admins; a zone whose hosts are all disabled is unavailable', async () => {
      const zoned = await compute.startFakeHost('host-z');
      await compute.dataSource.query("UPDATE compute_nodes SET availability_zone = 'az2' WHERE host = 'host-z'");
      try {
        expect((await alice.get('/v2.1/os-availability-zone')).body).toEqual({
          availabilityZoneInfo: [
            { zoneName: 'az2', zoneState: { available: true }, hosts: null },
            { zoneName: 'nova', zoneState: { available: true }, hosts: null },
          ],
        });
        expect((await admin.put('/v2.1/os-services/disable', { host: 'host-z', binary: 'nova-compute' })).status).toBe(200);
        const detail = await admin.get('/v2.1/os-availability-zone/detail');
        const hostEntry = { 'nova-compute': { available: true, active: true, updated_at: expect.stringMatching(NOVA_TIME) } };
        expect(detail.body).toEqual({
          availabilityZoneInfo: [
            { zoneName: 'nova', zoneState: { available: true }, hosts: { 'host-a': hostEntry, 'host-b': hostEntry } },
            { zoneName: 'az2', zoneState: { available: false }, hosts: null },
          ],
        });
        expectNovaError(await alice.get('/v2.1/os-availability-zone/detail'), 403);
      } finally {
        await zoned.agent.close();
        const { id } = (await admin.get('/v2.1/os-services?host=host-z')).body.services[0];
        expect((await admin.delete(`/v2.1/os-services/${id}`)).status).toBe(204);
      }
    });
  });

  describe('os-aggregates', () => {
    it('lists no aggregates to admins (none can be made here), and refuses members', async () => {
      expect((await admin.get('/v2.1/os-aggregates')).body).toEqual({ aggregates: [] });
      expectNovaError(await alice.get('/v2.1/os-aggregates'), 403);
    });
  });

  describe('limits and os-quota-sets', () => {
    it('shows the project’s limits with what it uses, and another project’s to an admin only', async () => {
      const limits = await alice.get('/v2.1/limits');
      expect(limits.status).toBe(200);
      expect(limits.body).toEqual({
        limits: {
          rate: [],
          absolute: {
            maxTotalInstances: 10,
            maxTotalCores: 20,
            maxTotalRAMSize: 51200,
            maxServerMeta: 128,
            maxImageMeta: 128,
            maxPersonality: 5,
            maxPersonalitySize: 10240,
            maxTotalKeypairs: 100,
            maxServerGroups: 10,
            maxServerGroupMembers: 10,
            maxTotalFloatingIps: -1,
            maxSecurityGroups: -1,
            maxSecurityGroupRules: -1,
            totalInstancesUsed: 1,
            totalCoresUsed: 1,
            totalRAMUsed: 128,
            totalServerGroupsUsed: 0,
            totalFloatingIpsUsed: 0,
            totalSecurityGroupsUsed: 0,
          },
        },
      });
      expect((await admin.get(`/v2.1/limits?tenant_id=${ALICE.projectId}`)).body).toEqual(limits.body);
      expect((await bob.get('/v2.1/limits')).body.limits.absolute.totalInstancesUsed).toBe(0);
      expectNovaError(await bob.get(`/v2.1/limits?tenant_id=${ALICE.projectId}`), 403);
    });

    it('shows quota sets, their use and the defaults', async () => {
      const defaults = {
        cores: 20,
        fixed_ips: -1,
        floating_ips: -1,
        injected_file_content_bytes: 10240,
        injected_file_path_bytes: 255,
        injected_files: 5,
        instances: 10,
        key_pairs: 100,
        metadata_items: 128,
        ram: 51200,
        security_group_rules: -1,
        security_groups: -1,
        server_group_members: 10,
        server_groups: 10,
      };
      expect((await alice.get(`/v2.1/os-quota-sets/${ALICE.projectId}`)).body).toEqual({ quota_set: { id: ALICE.projectId, ...defaults } });
      expect((await alice.get(`/v2.1/os-quota-sets/${ALICE.projectId}/defaults`)).body).toEqual({ quota_set: { id: ALICE.projectId, ...defaults } });
      // Per-user quotas are the project's.
      expect((await alice.get(`/v2.1/os-quota-sets/${ALICE.projectId}?user_id=alice`)).body.quota_set.instances).toBe(10);
      const detail = (await alice.get(`/v2.1/os-quota-sets/${ALICE.projectId}/detail`)).body.quota_set;
      expect(detail).toMatchObject({ id: ALICE.projectId, instances: { limit: 10, in_use: 1, reserved: 0 }, cores: { limit: 20, in_use: 1, reserved: 0 }, ram: { limit: 51200, in_use: 128, reserved: 0 } });
      expect(detail.key_pairs).toEqual({ limit: 100, in_use: 0, reserved: 0 });
      expectNovaError(await bob.get(`/v2.1/os-quota-sets/${ALICE.projectId}`), 403);
      expectNovaError(await bob.get(`/v2.1/os-quota-sets/${ALICE.projectId}/detail`), 403);
      expect((await admin.get(`/v2.1/os-quota-sets/${ALICE.projectId}`)).status).toBe(200);
    });

    it('lets an admin set a project’s quota, which a create then meets, and reset it', async () => {
      const path = `/v2.1/os-quota-sets/${ALICE.projectId}`;
      const updated = await admin.put(path, { quota_set: { instances: 1, cores: '4' } });
      expect(updated.status).toBe(200);
      expect(updated.body.quota_set).toMatchObject({ instances: 1, cores: 4, ram: 51200 });
      expect(updated.body.quota_set).not.toHaveProperty('id');
      expect((await alice.get('/v2.1/limits')).body.limits.absolute).toMatchObject({ maxTotalInstances: 1, maxTotalCores: 4 });
      expectNovaError(await boot(alice, 'over'), 403, 'Quota exceeded for instances: Requested 1, but already used 1 of 1 instances');
      // Another project keeps the defaults.
      expect((await bob.get(`/v2.1/os-quota-sets/${BOB.projectId}`)).body.quota_set.instances).toBe(10);

      expectNovaError(await admin.put(path, { quota_set: { ram: 64 } }), 400, 'Quota limit 64 for ram must be greater than or equal to already used and reserved 128.');
      expect((await admin.put(path, { quota_set: { ram: 64, force: 'True' } })).body.quota_set.ram).toBe(64);
      expect((await admin.put(path, { quota_set: { ram: -1 } })).body.quota_set.ram).toBe(-1);

      const reset = await admin.delete(path);
      expect(reset.status).toBe(202);
      expect((await alice.get(path)).body.quota_set).toMatchObject({ instances: 10, cores: 20, ram: 51200 });
    });

    it('refuses bad quota updates with 400, and members with 403', async () => {
      const path = `/v2.1/os-quota-sets/${ALICE.projectId}`;
      for (const body of [
        { quota_set: { instances: -2 } },
        { quota_set: { instances: 'ten' } },
        { quota_set: { instances: 2 ** 31 } },
        { quota_set: { instances: 1.5 } },
        { quota_set: { instances: null } },
        { quota_set: { unicorns: 1 } },
        { quota_set: { force: 'maybe' } },
        { quota_set: 'all' },
        { instances: 1 },
        {},
      ]) {
        expectNovaError(await admin.put(path, body), 400);
      }
      expectNovaError(await admin.put(`${path}?user_id=alice`, { quota_set: { instances: 5 } }), 400);
      expectNovaError(await alice.put(path, { quota_set: { instances: 50 } }), 403);
      expectNovaError(await alice.delete(path), 403);
      expect((await alice.get(path)).body.quota_set.instances).toBe(10);
    });
  });

  describe('os-simple-tenant-usage', () => {
    it('counts a project’s server hours over a window, deleted servers included', async () => {
      const gone = await boot(alice, 'short-lived');
      await waitForStatus(gone.body.server.id, ['ACTIVE']);
      expect((await alice.delete(`/v2.1/servers/${gone.body.server.id}`)).status).toBe(204);
      await eventually(async () => (await alice.get(`/v2.1/servers/${gone.body.server.id}`)).status, (status) => status === 404);

      const window = `start=${usageDate(Date.now() - 3_600_000)}&end=${usageDate(Date.now() + 3_600_000)}`;
      const usage = await alice.get(`/v2.1/os-simple-tenant-usage/${ALICE.projectId}?${window}`);
      expect(usage.status).toBe(200);
      const tenantUsage = usage.body.tenant_usage;
      expect(tenantUsage).toMatchObject({ tenant_id: ALICE.projectId, start: expect.stringMatching(NOVA_TIME), stop: expect.stringMatching(NOVA_TIME) });
      const byName = Object.fromEntries((tenantUsage.server_usages as Json[]).map((server) => [server.name, server]));
      expect(byName['accounted']).toEqual({
        instance_id: serverId,
        name: 'accounted',
        tenant_id: ALICE.projectId,
        hours: expect.any(Number),
        flavor: 'm1.tiny',
        vcpus: 1,
        memory_mb: 128,
        local_gb: 1,
        started_at: expect.stringMatching(NOVA_TIME),
        ended_at: null,
        state: 'active',
        uptime: expect.any(Number),
      });
      expect(byName['short-lived']).toMatchObject({ state: 'terminated', ended_at: expect.stringMatching(NOVA_TIME) });
      const hours = (tenantUsage.server_usages as Json[]).reduce((sum, server) => sum + server.hours, 0);
      expect(hours).toBeGreaterThan(0);
      expect(hours).toBeLessThan(0.1);
      expect(tenantUsage.total_hours).toBeCloseTo(hours, 10);
      expect(tenantUsage.total_vcpus_usage).toBeCloseTo(hours, 10);
      expect(tenantUsage.total_memory_mb_usage).toBeCloseTo(128 * hours, 8);
      expect(tenantUsage.total_local_gb_usage).toBeCloseTo(hours, 10);

      // Before the servers launched, nothing was used.
      const before = `start=${usageDate(Date.now() - 7_200_000)}.5&end=${usageDate(Date.now() - 3_600_000).replace('T', ' ')}.000000`;
      expect((await alice.get(`/v2.1/os-simple-tenant-usage/${ALICE.projectId}?${before}`)).body).toEqual({ tenant_usage: {} });

      const all = await admin.get(`/v2.1/os-simple-tenant-usage?${window}&detailed=1`);
      expect(all.body.tenant_usages.map((each: Json) => each.tenant_id)).toEqual([ALICE.projectId]);
      expect(all.body.tenant_usages[0].server_usages).toHaveLength(2);
      expect((await admin.get(`/v2.1/os-simple-tenant-usage?${window}`)).body.tenant_usages[0]).not.toHaveProperty('server_usages');
    }, 30_000);

    it('refuses bad windows with 400, and other projects’ usage with 403', async () => {
      for (const query of ['start=yesterday', 'start=2024-02-30T00:00:00', 'start=2024-01-01 00:00:00', 'start=2024-01-01T00:00:00Z', 'end=2024-01-01T00:00:00&start=2024-01-02T00:00:00']) {
        expectNovaError(await alice.get(`/v2.1/os-simple-tenant-usage/${ALICE.projectId}?${query}`), 400);
      }
      expectNovaError(await alice.get('/v2.1/os-simple-tenant-usage?start=2024-01-02T00:00:00&end=2024-01-01T00:00:00'), 403);
      expectNovaError(await admin.get('/v2.1/os-simple-tenant-usage?start=2024-01-02T00:00:00&end=2024-01-01T00:00:00'), 400, 'Invalid start time. The start time cannot occur after the end time.');
      expectNovaError(await alice.get('/v2.1/os-simple-tenant-usage'), 403);
      expectNovaError(await bob.get(`/v2.1/os-simple-tenant-usage/${ALICE.projectId}`), 403);
    });
  });

  describe('os-instance-actions', () => {
    it('lists a server’s actions newest first, with their events for admins', async () => {
      expect((await alice.post(`/v2.1/servers/${serverId}/action`, { 'os-stop': null })).status).toBe(202);
      await waitForStatus(serverId, ['SHUTOFF']);
      expect((await alice.post(`/v2.1/servers/${serverId}/action`, { 'os-start': null })).status).toBe(202);
      await waitForStatus(serverId, ['ACTIVE']);

      const list = await alice.get(`/v2.1/servers/${serverId}/os-instance-actions`);
      expect(list.status).toBe(200);
      const actions = list.body.instanceActions as Json[];
      expect(actions.map((action) => action.action)).toEqual(['start', 'stop', 'create']);
      expect(actions[1]).toEqual({
        action: 'stop',
        instance_uuid: serverId,
        request_id: expect.stringMatching(/^req-/),
        user_id: ALICE.userId,
        project_id: ALICE.projectId,
        start_time: expect.stringMatching(NOVA_TIME),
        message: null,
      });

      const stop = actions[1] as Json;
      // At 2.1 a member sees the action, not its steps.
      expect((await alice.get(`/v2.1/servers/${serverId}/os-instance-actions/${stop.request_id}`)).body).toEqual({ instanceAction: stop });
      const shown = (await admin.get(`/v2.1/servers/${serverId}/os-instance-actions/${stop.request_id}`)).body.instanceAction;
      expect(shown).toEqual({
        ...stop,
        events: [{ event: 'compute_power_off_instance', start_time: expect.stringMatching(NOVA_TIME), finish_time: expect.stringMatching(NOVA_TIME), result: 'Success', traceback: null }],
      });
      const create = (await admin.get(`/v2.1/servers/${serverId}/os-instance-actions/${(actions[2] as Json).request_id}`)).body.instanceAction;
      expect(create.events.map((event: Json) => event.result)).toEqual(expect.arrayContaining(['Success']));
    }, 30_000);

    it('hides another project’s server and unknown actions with 404', async () => {
      expectNovaError(await bob.get(`/v2.1/servers/${serverId}/os-instance-actions`), 404, `Instance ${serverId} could not be found.`);
      const { request_id: requestId } = (await alice.get(`/v2.1/servers/${serverId}/os-instance-actions`)).body.instanceActions[0];
      expectNovaError(await bob.get(`/v2.1/servers/${serverId}/os-instance-actions/${requestId}`), 404);
      expectNovaError(await alice.get(`/v2.1/servers/${serverId}/os-instance-actions/req-unknown`), 404, 'Action req-unknown not found');
      expectNovaError(await alice.get('/v2.1/servers/not-a-uuid/os-instance-actions'), 404);
    });

    it('records why a build failed, for admins only', async () => {
      await compute.startFakeHost('host-broken', { vcpus: 64, memoryMb: 262144, spawnFailure: 'the disk is on fire' });
      await admin.put('/v2.1/os-services/disable', { host: 'host-a', binary: 'nova-compute' });
      await admin.put('/v2.1/os-services/disable', { host: 'host-b', binary: 'nova-compute' });
      try {
        const created = await boot(alice, 'doomed');
        await waitForStatus(created.body.server.id, ['ERROR']);
        const [action] = (await alice.get(`/v2.1/servers/${created.body.server.id}/os-instance-actions`)).body.instanceActions as Json[];
        expect(action).toMatchObject({ action: 'create', message: 'Error' });
        const events = (await admin.get(`/v2.1/servers/${created.body.server.id}/os-instance-actions/${action?.request_id}`)).body.instanceAction.events as Json[];
        expect(events).toContainEqual(expect.objectContaining({ event: 'compute__build_and_run_instance', result: 'Error', traceback: expect.stringContaining('the disk is on fire') }));
        expect((await alice.get(`/v2.1/servers/${created.body.server.id}/os-instance-actions/${action?.request_id}`)).body.instanceAction).not.toHaveProperty('events');
        expect((await alice.delete(`/v2.1/servers/${created.body.server.id}`)).status).toBe(204);
      } finally {
        await admin.put('/v2.1/os-services/enable', { host: 'host-a', binary: 'nova-compute' });
        await admin.put('/v2.1/os-services/enable', { host: 'host-b', binary: 'nova-compute' });
      }
    }, 30_000);
  });
});
