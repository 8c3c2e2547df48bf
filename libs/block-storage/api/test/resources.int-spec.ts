import { type BackendReport } from '@overcast/block-storage/contracts';
import { MessageEntity, SnapshotEntity, VolumeEntity, VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { type ApiClient } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { QuotasService } from '../src/quotas/quotas.service';
import { expectCinderError, startTestBlockStorage, type TestBlockStorage } from './api-harness';

const projectId = () => randomUUID().replace(/-/g, '');
const names = (types: { name: string }[]) => types.map((type) => type.name);
const version = (minor: number) => ({ headers: { 'OpenStack-API-Version': `volume 3.${minor}` } });

function backend(name: string, zone: string): BackendReport {
  return {
    name,
    volumeBackendName: name,
    driver: name,
    storageProtocol: name === 'rbd' ? 'ceph' : 'file',
    availabilityZone: zone,
    capabilities: { cloneImages: false, multiattach: true, extendInUse: false },
    capacity: { totalCapacityGb: 100, freeCapacityGb: 80, provisionedCapacityGb: 20, thinProvisioning: true, maxOverSubscriptionRatio: 20, reservedPercentage: 0 },
  };
}

describe('block-storage types, quotas, messages and operator views (embedded PostgreSQL)', () => {
  let service: TestBlockStorage;
  let admin: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;
  const adminProject = projectId();
  const aliceProject = projectId();
  const bobProject = projectId();

  /** A volume of `project` made with `type`, straight into the database (no backend needed). */
  const volumeOf = async (project: string, typeId: string, size = 1) => {
    const id = randomUUID();
    await service.dataSource.getRepository(VolumeEntity).insert({
      id,
      projectId: project,
      userId: 'u',
      name: null,
      description: null,
      size,
      status: 'available',
      attachStatus: 'detached',
      migrationStatus: null,
      volumeTypeId: typeId,
      availabilityZone: 'nova',
      host: null,
      backendId: null,
      snapshotId: null,
      sourceVolid: null,
      imageMetadata: null,
      bootable: false,
      multiattach: false,
      readOnly: false,
      metadata: {},
      launchedAt: null,
    });
    return id;
  };
  const defaultType = () => service.dataSource.getRepository(VolumeTypeEntity).findOneByOrFail({ name: '__DEFAULT__' });

  beforeAll(async () => {
    service = await startTestBlockStorage();
    admin = await service.client({ projectId: adminProject, roles: ['admin'] });
    alice = await service.client({ projectId: aliceProject, roles: ['member'] });
    bob = await service.client({ projectId: bobProject, roles: ['member'] });
  }, 60_000);
  afterAll(() => service?.close());

  it("refuses a member's URL naming another project", async () => {
    expectCinderError(await alice.get(`/v3/${bobProject}/types`), 400, 'Malformed request url');
    expectCinderError(await alice.get(`/v3/${bobProject}/os-quota-sets/${bobProject}`), 400, 'Malformed request url');
    expect((await admin.get(`/v3/${aliceProject}/types`)).status).toBe(200);
  });

  it('volume types: the default, create, show, update, delete, with Cinder’s refusals', async () => {
    const listed = await alice.get(`/v3/${aliceProject}/types`);
    expect(listed.status).toBe(200);
    expect(names(listed.body.volume_types)).toEqual(['__DEFAULT__']);
    const fallback = (await alice.get(`/v3/${aliceProject}/types/default`)).body.volume_type;
    expect(fallback).toEqual({ id: expect.any(String), name: '__DEFAULT__', description: 'Default Volume Type', is_public: true, extra_specs: {}, 'os-volume-type-access:is_public': true });

    const body = { volume_type: { name: 'fast', description: 'SSD', extra_specs: { volume_backend_name: 'ssd', multiattach: '<is> True' } } };
    expectCinderError(await alice.post(`/v3/${aliceProject}/types`, body), 403, "Policy doesn't allow volume_extension:types_manage to be performed.");
    const created = await admin.post(`/v3/${adminProject}/types`, body);
    expect(created.status).toBe(200);
    const fast = created.body.volume_type;
    expect(fast).toEqual({ id: expect.any(String), name: 'fast', description: 'SSD', is_public: true, extra_specs: body.volume_type.extra_specs, qos_specs_id: null, 'os-volume-type-access:is_public': true });
    expect((await alice.get(`/v3/${aliceProject}/types/${fast.id}`)).body.volume_type).toEqual({ ...fast, extra_specs: { multiattach: '<is> True' }, qos_specs_id: undefined });

    expectCinderError(await admin.post(`/v3/${adminProject}/types`, body), 409, 'Volume Type fast already exists.');
    expectCinderError(await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: ' ' } }), 400, "An invalid 'name' value was provided. The 'name' can not be empty.");
    expectCinderError(await admin.post(`/v3/${adminProject}/types`, { volume_type: { description: 'x' } }), 400, /'name' is a required property/);
    expectCinderError(await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'n'.repeat(256) } }), 400);
    const unknown = randomUUID();
    expectCinderError(await alice.get(`/v3/${aliceProject}/types/${unknown}`), 404, `Volume type ${unknown} could not be found.`);
    expectCinderError(await alice.get(`/v3/${aliceProject}/types/fast`), 404, 'Volume type fast could not be found.');

    const updated = await admin.put(`/v3/${adminProject}/types/${fast.id}`, { volume_type: { name: 'faster', description: 'NVMe' } });
    expect(updated.status).toBe(200);
    expect(updated.body.volume_type).toMatchObject({ id: fast.id, name: 'faster', description: 'NVMe' });
    expectCinderError(await admin.put(`/v3/${adminProject}/types/${fast.id}`, { volume_type: { name: '__DEFAULT__' } }), 409, 'Volume Type __DEFAULT__ already exists.');
    expectCinderError(await admin.put(`/v3/${adminProject}/types/${fast.id}`, { volume_type: {} }), 400, 'Specify volume type name, description, is_public or a combination thereof.');
    expectCinderError(await admin.put(`/v3/${adminProject}/types/${fallback.id}`, { volume_type: { name: 'renamed' } }), 400);
    expectCinderError(await admin.delete(`/v3/${adminProject}/types/${fallback.id}`), 400, `The volume type ${fallback.id} is a default volume type and cannot be deleted.`);
    expectCinderError(await alice.delete(`/v3/${aliceProject}/types/${fast.id}`), 403);

    const volume = await volumeOf(bobProject, fast.id);
    expectCinderError(await admin.delete(`/v3/${adminProject}/types/${fast.id}`), 400, 'Target volume type is still in use.');
    await service.dataSource.getRepository(VolumeEntity).delete({ id: volume });
    expect((await admin.delete(`/v3/${adminProject}/types/${fast.id}`)).status).toBe(202);
    expectCinderError(await admin.get(`/v3/${adminProject}/types/${fast.id}`), 404);
    expectCinderError(await admin.delete(`/v3/${adminProject}/types/${fast.id}`), 404);
  });

  it('extra specs: admins set and remove them, members read the user-visible ones, not while volumes use the type', async () => {
    const type = (await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'specs' } })).body.volume_type;
    const specsUrl = (project: string) => `/v3/${project}/types/${type.id}/extra_specs`;
    const set = await admin.post(specsUrl(adminProject), { extra_specs: { volume_backend_name: 'rbd', replication_enabled: '<is> False' } });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ extra_specs: { volume_backend_name: 'rbd', replication_enabled: '<is> False' } });
    expect((await admin.put(`${specsUrl(adminProject)}/multiattach`, { multiattach: '<is> True' })).body).toEqual({ multiattach: '<is> True' });
    expect((await admin.get(specsUrl(adminProject))).body).toEqual({ extra_specs: { volume_backend_name: 'rbd', replication_enabled: '<is> False', multiattach: '<is> True' } });
    expect((await admin.get(`${specsUrl(adminProject)}/volume_backend_name`)).body).toEqual({ volume_backend_name: 'rbd' });

    expect((await alice.get(specsUrl(aliceProject))).body).toEqual({ extra_specs: { replication_enabled: '<is> False', multiattach: '<is> True' } });
    expectCinderError(await alice.get(`${specsUrl(aliceProject)}/volume_backend_name`), 404, `Volume Type ${type.id} has no extra specs with key volume_backend_name.`);
    expectCinderError(await alice.post(specsUrl(aliceProject), { extra_specs: { a: 'b' } }), 403);

    expectCinderError(await admin.put(`${specsUrl(adminProject)}/multiattach`, { other: 'x' }), 400, 'Request body and URI mismatch');
    expectCinderError(await admin.post(specsUrl(adminProject), { extra_specs: { 'bad key': 'x' } }), 400, /\('bad key' was unexpected\)/);
    expectCinderError(await admin.post(specsUrl(adminProject), { extra_specs: { cacheable: '<is> True' } }), 400, 'cacheable cannot be set with multiattach.');
    expect((await admin.delete(`${specsUrl(adminProject)}/multiattach`)).status).toBe(202);
    expectCinderError(await admin.delete(`${specsUrl(adminProject)}/multiattach`), 404, `Volume Type ${type.id} has no extra specs with key multiattach.`);
    expectCinderError(await admin.get(`/v3/${adminProject}/types/${randomUUID()}/extra_specs`), 404);

    const volume = await volumeOf(aliceProject, type.id);
    expectCinderError(await admin.post(specsUrl(adminProject), { extra_specs: { a: 'b' } }), 400, 'Volume Type is currently in use.');
    expectCinderError(await admin.delete(`${specsUrl(adminProject)}/volume_backend_name`), 400, 'Volume Type is currently in use.');
    await service.dataSource.getRepository(VolumeEntity).delete({ id: volume });
  });

  it('private types: invisible to projects without access, shared and unshared by the admin', async () => {
    const secret = (await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'secret', 'os-volume-type-access:is_public': false } })).body.volume_type;
    expect(secret).toMatchObject({ is_public: false, 'os-volume-type-access:is_public': false });
    const accessUrl = `/v3/${adminProject}/types/${secret.id}/os-volume-type-access`;
    const action = (body: unknown) => admin.post(`/v3/${adminProject}/types/${secret.id}/action`, body);

    expect(names((await alice.get(`/v3/${aliceProject}/types`)).body.volume_types)).not.toContain('secret');
    expectCinderError(await alice.get(`/v3/${aliceProject}/types/${secret.id}`), 404, `Volume type ${secret.id} could not be found.`);
    expect((await admin.get(accessUrl)).body).toEqual({ volume_type_access: [] });

    expect((await action({ addProjectAccess: { project: aliceProject } })).status).toBe(202);
    expectCinderError(await action({ addProjectAccess: { project: aliceProject } }), 409, `Volume type access for ${secret.id} / ${aliceProject} combination already exists.`);
    expect((await admin.get(accessUrl)).body).toEqual({ volume_type_access: [{ volume_type_id: secret.id, project_id: aliceProject }] });
    expect(names((await alice.get(`/v3/${aliceProject}/types`)).body.volume_types)).toContain('secret');
    expect((await alice.get(`/v3/${aliceProject}/types/${secret.id}`)).status).toBe(200);
    expectCinderError(await bob.get(`/v3/${bobProject}/types/${secret.id}`), 404);
    expectCinderError(await alice.post(`/v3/${aliceProject}/types/${secret.id}/action`, { addProjectAccess: { project: bobProject } }), 403);
    expectCinderError(await alice.get(`/v3/${aliceProject}/types/${secret.id}/os-volume-type-access`), 403);

    // Admins list the public types by default, the private ones with is_public=false, all with None.
    const adminList = async (query: string) => names((await admin.get(`/v3/${adminProject}/types${query}`)).body.volume_types);
    expect(await adminList('')).not.toContain('secret');
    expect(await adminList('?is_public=false')).toEqual(['secret']);
    expect(await adminList('?is_public=None')).toEqual(expect.arrayContaining(['secret', '__DEFAULT__']));
    expectCinderError(await admin.get(`/v3/${adminProject}/types?is_public=maybe`), 400, 'Invalid is_public filter [maybe]');

    expect((await action({ removeProjectAccess: { project: aliceProject } })).status).toBe(202);
    expectCinderError(await action({ removeProjectAccess: { project: aliceProject } }), 404, `Volume type access not found for ${secret.id} / ${aliceProject} combination.`);
    expectCinderError(await alice.get(`/v3/${aliceProject}/types/${secret.id}`), 404);
    expectCinderError(await action({ shareWith: { project: aliceProject } }), 400, 'There is no such action: shareWith');

    const fallback = await defaultType();
    expectCinderError(await admin.get(`/v3/${adminProject}/types/${fallback.id}/os-volume-type-access`), 404, 'Access list not available for public volume types.');
    expectCinderError(await admin.post(`/v3/${adminProject}/types/${fallback.id}/action`, { addProjectAccess: { project: aliceProject } }), 400, 'Invalid volume type: Type access modification is not applicable to public volume type.');
  });

  it('quotas: a project reads its own, the admin sets them, never below what is used; limits show usage', async () => {
    const project = projectId();
    const carol = await service.client({ projectId: project, roles: ['member'] });
    const fallback = await defaultType();
    const shown = await carol.get(`/v3/${project}/os-quota-sets/${project}`);
    expect(shown.status).toBe(200);
    expect(shown.body.quota_set).toMatchObject({
      id: project,
      volumes: 10,
      snapshots: 10,
      gigabytes: 1000,
      per_volume_gigabytes: -1,
      backups: 10,
      backup_gigabytes: 1000,
      groups: 10,
      volumes___DEFAULT__: -1,
      gigabytes___DEFAULT__: -1,
      snapshots___DEFAULT__: -1,
    });
    expectCinderError(await carol.get(`/v3/${project}/os-quota-sets/${aliceProject}`), 403);
    expectCinderError(await carol.put(`/v3/${project}/os-quota-sets/${project}`, { quota_set: { volumes: 100 } }), 403, "Policy doesn't allow volume_extension:quotas:update to be performed.");
    expect((await admin.get(`/v3/${adminProject}/os-quota-sets/${project}`)).status).toBe(200);

    const volume = await volumeOf(project, fallback.id, 3);
    await volumeOf(project, fallback.id, 4);
    await service.dataSource.getRepository(SnapshotEntity).insert({ id: randomUUID(), projectId: project, userId: 'u', volumeId: volume, name: null, description: null, size: 3, status: 'available', metadata: {} });

    const updated = await admin.put(`/v3/${adminProject}/os-quota-sets/${project}`, { quota_set: { volumes: 5, gigabytes___DEFAULT__: 100, backups: '3' } });
    expect(updated.status).toBe(200);
    expect(updated.body.quota_set).toMatchObject({ volumes: 5, gigabytes___DEFAULT__: 100, backups: 3, snapshots: 10 });
    expect(updated.body.quota_set).not.toHaveProperty('id');
    const usage = (await carol.get(`/v3/${project}/os-quota-sets/${project}?usage=true`)).body.quota_set;
    expect(usage).toMatchObject({
      id: project,
      volumes: { limit: 5, in_use: 2, reserved: 0 },
      snapshots: { limit: 10, in_use: 1, reserved: 0 },
      gigabytes: { limit: 1000, in_use: 10, reserved: 0 },
      gigabytes___DEFAULT__: { limit: 100, in_use: 10, reserved: 0 },
      volumes___DEFAULT__: { limit: -1, in_use: 2, reserved: 0 },
      backups: { limit: 3, in_use: 0, reserved: 0 },
    });
    expectCinderError(await carol.get(`/v3/${project}/os-quota-sets/${project}?usage=maybe`), 400, "Value 'maybe' for 'usage' is not a boolean.");

    const quotaUrl = `/v3/${adminProject}/os-quota-sets/${project}`;
    expectCinderError(await admin.put(quotaUrl, { quota_set: { volumes: 1 } }), 400, 'Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.');
    expectCinderError(await admin.put(quotaUrl, { quota_set: { gigabytes___DEFAULT__: 9 } }), 400, /Current usage is 10 and the requested limit is 9\.$/);
    expectCinderError(await admin.put(quotaUrl, { quota_set: { volumes: -2 } }), 400, 'volumes must be >= -1');
    expectCinderError(await admin.put(quotaUrl, { quota_set: { ram: 1 } }), 400, 'Invalid input received: Bad key(s) in quota set: ram');
    expect((await admin.put(quotaUrl, { quota_set: { volumes: -1, per_volume_gigabytes: 1 } })).status).toBe(200);

    const limits = await carol.get(`/v3/${project}/limits`);
    expect(limits.body).toEqual({
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: -1,
          maxTotalSnapshots: 10,
          maxTotalVolumeGigabytes: 1000,
          maxTotalBackups: 3,
          maxTotalBackupGigabytes: 1000,
          totalVolumesUsed: 2,
          totalGigabytesUsed: 10,
          totalSnapshotsUsed: 1,
          totalBackupsUsed: 0,
          totalBackupGigabytesUsed: 0,
        },
      },
    });

    expect((await carol.get(`/v3/${project}/os-quota-sets/${project}/defaults`)).body.quota_set).toMatchObject({ id: project, volumes: 10, backups: 10, gigabytes___DEFAULT__: -1 });
    expectCinderError(await carol.delete(`/v3/${project}/os-quota-sets/${project}`), 403);
    expect((await admin.delete(quotaUrl)).status).toBe(200);
    expect((await carol.get(`/v3/${project}/os-quota-sets/${project}`)).body.quota_set).toMatchObject({ volumes: 10, backups: 10, gigabytes___DEFAULT__: -1 });
  });

  it("quotas: a type's own limits are checked on create and follow the type's renames", async () => {
    const project = projectId();
    const type = (await admin.post(`/v3/${adminProject}/types`, { volume_type: { name: 'metered' } })).body.volume_type;
    await volumeOf(project, type.id, 2);
    expect((await admin.put(`/v3/${adminProject}/os-quota-sets/${project}`, { quota_set: { volumes_metered: 1, gigabytes_metered: 5 } })).status).toBe(200);
    const quotas = new QuotasService(service.dataSource, service.settings);
    const check = (add: { volumes?: number; gigabytes?: number }, typeId?: string) => service.dataSource.transaction((manager) => quotas.check(manager, project, add, undefined, typeId));
    await expect(check({ volumes: 1, gigabytes: 1 })).resolves.toBeUndefined();
    await expect(check({ volumes: 1, gigabytes: 1 }, type.id)).rejects.toMatchObject({ status: 413, message: "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes_metered'." });
    await expect(check({ gigabytes: 4 }, type.id)).rejects.toMatchObject({
      status: 413,
      message: 'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes_metered quota. Requested 4G, quota is 5G and 2G has been consumed.',
    });

    await admin.put(`/v3/${adminProject}/types/${type.id}`, { volume_type: { name: 'billed' } });
    const set = (await admin.get(`/v3/${adminProject}/os-quota-sets/${project}`)).body.quota_set;
    expect(set).toMatchObject({ volumes_billed: 1, gigabytes_billed: 5, snapshots_billed: -1 });
    expect(set).not.toHaveProperty('volumes_metered');
  });

  it('availability zones, services and pools as the volume agents report their backends', async () => {
    expect((await alice.get(`/v3/${aliceProject}/os-availability-zone`)).body).toEqual({ availabilityZoneInfo: [] });
    await service.report({ host: 'node1', backends: [backend('file', 'az1'), backend('rbd', 'az2')] });
    const zones = async () => (await alice.get(`/v3/${aliceProject}/os-availability-zone`)).body.availabilityZoneInfo;
    expect(await zones()).toEqual(expect.arrayContaining([{ zoneName: 'az1', zoneState: { available: true } }, { zoneName: 'az2', zoneState: { available: true } }]));

    const servicesUrl = `/v3/${adminProject}/os-services`;
    expectCinderError(await alice.get(`/v3/${aliceProject}/os-services`), 403);
    const services = (await admin.get(servicesUrl)).body.services;
    expect(services).toEqual([
      // The scheduler runs in the API's process, on the host the `host` setting names.
      expect.objectContaining({ binary: 'cinder-scheduler', host: 'controller-1', state: 'up', status: 'enabled' }),
      { binary: 'cinder-volume', host: 'node1@file', zone: 'az1', status: 'enabled', state: 'up', updated_at: expect.any(String), disabled_reason: null, replication_status: 'disabled', active_backend_id: null, frozen: false },
      expect.objectContaining({ binary: 'cinder-volume', host: 'node1@rbd', zone: 'az2' }),
    ]);
    expect((await admin.get(`${servicesUrl}?host=node1@rbd`)).body.services.map((entry: { host: string }) => entry.host)).toEqual(['node1@rbd']);
    expect((await admin.get(`${servicesUrl}?binary=cinder-scheduler`)).body.services).toHaveLength(1);
    expect((await admin.get(servicesUrl, version(7))).body.services[1]).toHaveProperty('cluster', null);
    expect((await admin.get(servicesUrl)).body.services[1]).not.toHaveProperty('cluster');

    const disabled = await admin.put(`${servicesUrl}/disable-log-reason`, { host: 'node1@file', binary: 'cinder-volume', disabled_reason: 'maintenance' });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toEqual({ host: 'node1@file', service: '', binary: 'cinder-volume', status: 'disabled', disabled: true, disabled_reason: 'maintenance' });
    expect((await admin.get(`${servicesUrl}?host=node1@file`)).body.services[0]).toMatchObject({ status: 'disabled', disabled_reason: 'maintenance' });
    expect(await zones()).toContainEqual({ zoneName: 'az1', zoneState: { available: false } });
    expect((await admin.get(`/v3/${adminProject}/scheduler-stats/get_pools`)).body).toEqual({ pools: [{ name: 'node1@rbd#rbd' }] });
    expect((await admin.put(`${servicesUrl}/enable`, { host: 'node1@file', binary: 'cinder-volume' })).body).toEqual({ host: 'node1@file', service: '', binary: 'cinder-volume', status: 'enabled', disabled: false });
    expect((await admin.put(`${servicesUrl}/disable`, { host: 'node1', service: 'cinder-volume' })).body).toMatchObject({ status: 'disabled', disabled: true });
    expect((await admin.get(`${servicesUrl}?binary=cinder-volume`)).body.services.map((entry: { status: string }) => entry.status)).toEqual(['disabled', 'disabled']);
    await admin.put(`${servicesUrl}/enable`, { host: 'node1', binary: 'cinder-volume' });

    expectCinderError(await admin.put(`${servicesUrl}/disable`, { host: 'nowhere', binary: 'cinder-volume' }), 404, 'Service cinder-volume could not be found on host nowhere.');
    expectCinderError(await admin.put(`${servicesUrl}/disable`, { binary: 'cinder-volume' }), 400, 'Invalid input received: Host field is missing.');
    expectCinderError(await admin.put(`${servicesUrl}/disable`, { host: 'node1', binary: 'cinder-volume', disabled_reason: 'x' }), 400, /'disabled_reason' was unexpected/);
    expectCinderError(await alice.put(`/v3/${aliceProject}/os-services/disable`, { host: 'node1', binary: 'cinder-volume' }), 403);

    expectCinderError(await alice.get(`/v3/${aliceProject}/scheduler-stats/get_pools`), 403);
    const pools = (await admin.get(`/v3/${adminProject}/scheduler-stats/get_pools?detail=true`)).body.pools;
    expect(pools.map((pool: { name: string }) => pool.name)).toEqual(['node1@file#file', 'node1@rbd#rbd']);
    expect(pools[1].capabilities).toMatchObject({ pool_name: 'rbd', storage_protocol: 'ceph', total_capacity_gb: 100, free_capacity_gb: 80, thin_provisioning_support: true, vendor_name: 'Overcast', multiattach: true });
    expectCinderError(await admin.get(`/v3/${adminProject}/scheduler-stats/get_pools?detail=maybe`), 400, "Value 'maybe' for 'detail' is not a boolean.");
  });

  it('extensions: what is served, as Cinder lists them', async () => {
    const extensions = (await alice.get(`/v3/${aliceProject}/extensions`)).body.extensions;
    expect(extensions.map((extension: { alias: string }) => extension.alias)).toEqual(expect.arrayContaining(['os-types-manage', 'os-quota-sets', 'os-services', 'scheduler-stats', 'os-volume-type-access']));
    expect((await alice.get(`/v3/${aliceProject}/extensions/os-quota-sets`)).body).toEqual({
      extension: { alias: 'os-quota-sets', name: 'Quotas', description: 'Quota management support.', updated: '2011-08-08T00:00:00+00:00', links: [] },
    });
    expectCinderError(await alice.get(`/v3/${aliceProject}/extensions/backups`), 404);
  });

  it("messages (3.3): a project's own, an admin's with all_tenants, paged from 3.5", async () => {
    const messages = service.dataSource.getRepository(MessageEntity);
    const message = (project: string, resourceType: string, expiresAt = new Date(Date.now() + 3600_000)) => ({
      id: randomUUID(),
      projectId: project,
      requestId: `req-${randomUUID()}`,
      resourceType,
      resourceUuid: randomUUID(),
      eventId: 'VOLUME_VOLUME_CREATE_VOLUME',
      messageLevel: 'ERROR',
      userMessage: 'schedule allocate volume: No valid backend was found.',
      expiresAt,
    });
    const [first, second, expired, bobs] = [message(aliceProject, 'VOLUME'), message(aliceProject, 'VOLUME_SNAPSHOT'), message(aliceProject, 'VOLUME', new Date(Date.now() - 1000)), message(bobProject, 'VOLUME')];
    await messages.insert([first, second, expired, bobs]);
    const ids = (response: { body: { messages: { id: string }[] } }) => response.body.messages.map((entry) => entry.id).sort();

    expectCinderError(await alice.get(`/v3/${aliceProject}/messages`), 404, 'The resource could not be found.');
    const listed = await alice.get(`/v3/${aliceProject}/messages`, version(3));
    expect(ids(listed)).toEqual([first.id, second.id].sort());
    expect(listed.body.messages.find((entry: { id: string }) => entry.id === first.id)).toEqual({
      id: first.id,
      event_id: first.eventId,
      user_message: first.userMessage,
      message_level: 'ERROR',
      resource_type: 'VOLUME',
      resource_uuid: first.resourceUuid,
      request_id: first.requestId,
      created_at: expect.any(String),
      guaranteed_until: first.expiresAt.toISOString(),
      links: [
        { rel: 'self', href: `${service.url}/v3/${aliceProject}/messages/${first.id}` },
        { rel: 'bookmark', href: `${service.url}/${aliceProject}/messages/${first.id}` },
      ],
    });
    expect(ids(await alice.get(`/v3/${aliceProject}/messages?resource_type=VOLUME_SNAPSHOT`, version(5)))).toEqual([second.id]);
    const page = await alice.get(`/v3/${aliceProject}/messages?limit=1`, version(5));
    expect(page.body.messages).toHaveLength(1);
    expect(page.body.messages_links).toEqual([{ rel: 'next', href: expect.stringContaining('marker=') }]);
    expect(ids(await alice.get(`/v3/${aliceProject}/messages?all_tenants=1`, version(5)))).toEqual([first.id, second.id].sort());
    expect(ids(await admin.get(`/v3/${adminProject}/messages?all_tenants=1`, version(5)))).toEqual(expect.arrayContaining([first.id, bobs.id]));

    expect((await alice.get(`/v3/${aliceProject}/messages/${first.id}`, version(3))).body.message.id).toBe(first.id);
    expectCinderError(await alice.get(`/v3/${aliceProject}/messages/${bobs.id}`, version(3)), 404, `Message ${bobs.id} could not be found.`);
    expectCinderError(await alice.get(`/v3/${aliceProject}/messages/${expired.id}`, version(3)), 404);
    expectCinderError(await bob.delete(`/v3/${bobProject}/messages/${first.id}`, version(3)), 404);
    expect((await alice.delete(`/v3/${aliceProject}/messages/${first.id}`, version(3))).status).toBe(204);
    expectCinderError(await alice.get(`/v3/${aliceProject}/messages/${first.id}`, version(3)), 404);
  });
});
