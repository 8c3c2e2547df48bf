import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type BootImage, type ImageSource, POWER_STATE } from '@overcast/compute/contracts';
import { BlockDeviceMappingEntity, type FlavorEntity, InstanceEntity, type KeypairEntity, ServerGroupEntity, ServerGroupMemberEntity } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { Brackets, DataSource, type EntityManager, In } from 'typeorm';
import { ImageClient, type GlanceImage } from '../clients/image-client';
import { NetworkClient } from '../clients/network-client';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { nextLinks, novaPage, type OrderKey, pageQuery, queryText, queryTime } from '../common/nova-list';
import { FlavorsService } from '../flavors/flavors.service';
import { InstanceActionsService } from '../instances/instance-actions.service';
import { InstanceLifecycle, type NicRequest } from '../instances/instance-lifecycle';
import { instanceFlavor } from '../instances/instance-spec';
import { KeypairsService } from '../keypairs/keypairs.service';
import { checkGroupRoom } from '../server-groups/server-group-quotas';
import { QuotasService } from '../quotas/quotas.service';
import { ServerVolumesService } from '../volumes/server-volumes.service';
import { type BootRequest, parseBootRequest, parseServerUpdate } from './server-request';
import { serverBasicView, serverSummary, serverView } from './server-view';

export const serverNotFound = (id: string) => notFound(`Instance ${id} could not be found.`);

/** The API statuses a list may filter on, and the vm_states they are. */
const STATUS_VM_STATES: Record<string, string[]> = {
  BUILD: ['building'],
  ACTIVE: ['active'],
  SHUTOFF: ['stopped'],
  PAUSED: ['paused'],
  SUSPENDED: ['suspended'],
  ERROR: ['error'],
  DELETED: ['deleted'],
  VERIFY_RESIZE: ['resized'],
  REBOOT: ['active'],
  HARD_REBOOT: ['active'],
  RESIZE: ['active', 'stopped'],
};

/** The sort keys Nova's servers list takes, and the columns they are. */
const SORT_KEYS: Record<string, string> = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  display_name: 'displayName',
  hostname: 'hostname',
  uuid: 'id',
  vm_state: 'vmState',
  task_state: 'taskState',
  power_state: 'powerState',
  launched_at: 'launchedAt',
  terminated_at: 'terminatedAt',
  availability_zone: 'availabilityZone',
  image_ref: 'imageRef',
  key_name: 'keyName',
  project_id: 'projectId',
  user_id: 'userId',
  host: 'host',
};

export interface ServerRequest {
  caller: Caller;
  baseUrl: string;
  version: ApiVersion;
}

/** Servers (Nova's `servers`): create with the checks Nova makes before it answers 202, list, show, update, delete. */
@Injectable()
export class ServersService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
    private readonly flavors: FlavorsService,
    private readonly keypairs: KeypairsService,
    private readonly images: ImageClient,
    private readonly network: NetworkClient,
    private readonly lifecycle: InstanceLifecycle,
    private readonly actions: InstanceActionsService,
    private readonly serverVolumes: ServerVolumesService,
    private readonly quotas: QuotasService,
  ) {}

  /** `POST /servers`: checks everything a user can get wrong, records the instances and answers; the build goes on in the background. */
  async create(request: ServerRequest, body: unknown): Promise<Record<string, unknown>> {
    const { caller } = request;
    caller.enforce('os_compute_api:servers:create');
    const boot = parseBootRequest(body);
    const flavor = await this.flavors.findForBoot(caller, boot.flavorRef);
    const image = boot.imageRef === undefined ? undefined : await this.bootImage(caller, boot.imageRef, flavor);
    const keypair = boot.keyName === undefined ? undefined : await this.keypairs.findForBoot(caller, boot.keyName);
    const nics = await this.nics(caller, boot);
    await this.checkZone(boot.availabilityZone);
    const group = boot.groupId === undefined ? undefined : await this.group(caller, boot.groupId);
    await this.quotas.checkMetadata(caller.projectId, Object.keys(boot.metadata).length);
    if (boot.maxCount > 1 && nics.some((nic) => nic.kind === 'port')) {
      throw badRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
    }
    if (boot.maxCount > 1 && boot.volumes.length > 0) {
      throw badRequest('Unable to launch multiple instances with a single configured volume. Please launch your instances one by one.');
    }
    await this.serverVolumes.checkForBoot(caller.auth.rawToken, caller.projectId, boot.volumes);
    const bootsFromVolume = boot.volumes.some((volume) => volume.bootIndex === 0);
    const reservationId = `r-${randomUUID().slice(0, 8)}`;
    const adminPass = boot.adminPass ?? randomUUID().replace(/-/g, '').slice(0, 12);
    const instances = await this.dataSource.transaction(async (manager) => {
      const count = await this.quotas.countWithinQuota(manager, caller.projectId, flavor, boot);
      const created: InstanceEntity[] = [];
      for (let index = 0; index < count; index++) {
        created.push(await this.record(manager, caller, boot, { flavor, image, keypair, reservationId, index, count, groupId: group?.id }));
      }
      return created;
    });
    for (const instance of instances) {
      this.lifecycle.startBuild(instance.id, {
        token: caller.auth.rawToken,
        userId: caller.userId,
        nics,
        image: image?.boot,
        adminPass,
        placement: {
          vcpus: flavor.vcpus,
          memoryMb: flavor.memoryMb,
          // A server that boots from a volume takes no root disk from its host.
          diskGb: (bootsFromVolume ? 0 : flavor.rootGb) + flavor.ephemeralGb + Math.ceil(flavor.swapMb / 1024),
          availabilityZone: boot.availabilityZone,
          architecture: image?.glance['architecture'] as string | undefined,
          hypervisorType: image?.glance['hypervisor_type'] as string | undefined,
          group,
        },
        failedHosts: [],
        failures: [],
      });
    }
    if (boot.returnReservationId) {
      return { reservation_id: reservationId };
    }
    const first = instances[0] as InstanceEntity;
    return {
      server: {
        id: first.id,
        links: serverSummary(first, request.baseUrl)['links'],
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: first.securityGroups.map((name) => ({ name })),
        adminPass,
      },
    };
  }

  async show(request: ServerRequest, id: string): Promise<Record<string, unknown>> {
    const { caller } = request;
    const instance = await this.visible(caller, id);
    caller.enforce('os_compute_api:servers:show', { project_id: instance.projectId });
    return this.view(request, instance, await this.volumesOf([instance.id]));
  }

  /** `GET /servers` and `/servers/detail`: Nova's filters, `all_tenants` for admins, `changes-since` (deleted ones too), sorting and paging. */
  async list(request: ServerRequest, query: Record<string, unknown>, detail: boolean, collectionUrl: string): Promise<Record<string, unknown>> {
    const { caller } = request;
    caller.enforce(detail ? 'os_compute_api:servers:detail' : 'os_compute_api:servers:index');
    const builder = this.dataSource.manager.createQueryBuilder(InstanceEntity, 'instance');
    const allTenants = queryText(query, 'all_tenants');
    if (allTenants !== undefined && allTenants.toLowerCase() !== 'false' && allTenants !== '0') {
      caller.enforce(detail ? 'os_compute_api:servers:detail:get_all_tenants' : 'os_compute_api:servers:index:get_all_tenants');
      const project = queryText(query, 'project_id') ?? queryText(query, 'tenant_id');
      if (project !== undefined) {
        builder.andWhere('instance.projectId = :project', { project });
      }
    } else {
      builder.andWhere('instance.projectId = :project', { project: caller.projectId });
    }
    this.applyFilters(builder, request, query);
    const page = novaPage(query, this.settings.maxPageSize);
    if (page.marker !== undefined && !(await this.dataSource.manager.existsBy(InstanceEntity, { id: page.marker }))) {
      throw badRequest(`marker [${page.marker}] not found`);
    }
    const instances = await pageQuery(builder, this.order(query), page.marker === undefined ? undefined : { id: page.marker }, page.limit).getMany();
    const volumes = detail ? await this.volumesOf(instances.map((instance) => instance.id)) : [];
    const links = nextLinks(collectionUrl, query, page, instances.map((instance) => instance.id));
    return {
      servers: instances.map((instance) => (detail ? this.view(request, instance, volumes) : serverSummary(instance, request.baseUrl))),
      ...(links.length > 0 ? { servers_links: links } : {}),
    };
  }

  /** `PUT /servers/{id}`: name and access IPs; answered with the server's basic view, as Nova does. */
  async update(request: ServerRequest, id: string, body: unknown): Promise<Record<string, unknown>> {
    const { caller } = request;
    const update = parseServerUpdate(body);
    const instance = await this.visible(caller, id);
    caller.enforce('os_compute_api:servers:update', { project_id: instance.projectId });
    await this.dataSource.manager.update(InstanceEntity, { id }, {
      ...(update.name === undefined ? {} : { displayName: update.name, hostname: hostnameOf(update.name) }),
      ...(update.accessIpV4 === undefined ? {} : { accessIpV4: update.accessIpV4 }),
      ...(update.accessIpV6 === undefined ? {} : { accessIpV6: update.accessIpV6 }),
      updatedAt: new Date(),
    });
    return serverBasicView(await this.visible(caller, id), request.baseUrl, request.version);
  }

  /** `DELETE /servers/{id}`: 204; the server is gone once its host has destroyed it. */
  async delete(caller: Caller, id: string): Promise<void> {
    const instance = await this.visible(caller, id);
    caller.enforce('os_compute_api:servers:delete', { project_id: instance.projectId });
    if (instance.locked && !caller.isAdmin) {
      throw conflict(`Instance ${id} is locked`);
    }
    if (instance.taskState === 'deleting') {
      return;
    }
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'delete', caller.userId));
    await this.lifecycle.delete(instance, caller.auth.rawToken);
  }

  /** The instance if the caller may see it (its project's, or any for an admin) and it is not deleted; Nova's 404 otherwise. */
  async visible(caller: Caller, id: string): Promise<InstanceEntity> {
    const instance = /^[0-9a-f-]{36}$/i.test(id) ? await this.dataSource.manager.findOneBy(InstanceEntity, { id }) : null;
    if (!instance || instance.deletedAt !== null || !caller.sees(instance)) {
      throw serverNotFound(id);
    }
    return instance;
  }

  view(request: ServerRequest, instance: InstanceEntity, volumes: BlockDeviceMappingEntity[]): Record<string, unknown> {
    return serverView(instance, {
      baseUrl: request.baseUrl,
      showHost: request.caller.allows('os_compute_api:os-extended-server-attributes', { project_id: instance.projectId }),
      volumes: volumes.filter((volume) => volume.instanceId === instance.id),
      version: request.version,
    });
  }

  private volumesOf(instanceIds: string[]): Promise<BlockDeviceMappingEntity[]> {
    return instanceIds.length === 0 ? Promise.resolve([]) : this.dataSource.manager.find(BlockDeviceMappingEntity, { where: { instanceId: In(instanceIds) }, order: { createdAt: 'ASC' } });
  }

  private applyFilters(builder: ReturnType<EntityManager['createQueryBuilder']>, { caller, version }: ServerRequest, query: Record<string, unknown>): void {
    const changesSince = queryTime(query, 'changes-since');
    const deleted = queryText(query, 'deleted');
    if (changesSince !== undefined) {
      builder.andWhere('instance.updatedAt >= :since', { since: changesSince });
    } else if (deleted !== undefined && caller.isAdmin && deleted.toLowerCase() === 'true') {
      builder.andWhere('instance.deletedAt IS NOT NULL');
    } else {
      builder.andWhere('instance.deletedAt IS NULL');
    }
    const name = queryText(query, 'name');
    if (name !== undefined) {
      // Nova matches the name as a regular expression; a substring is what clients mean by it.
      builder.andWhere('instance.displayName ~ :name', { name });
    }
    const status = queryText(query, 'status');
    if (status !== undefined) {
      const vmStates = STATUS_VM_STATES[status.toUpperCase()];
      if (vmStates === undefined) {
        // Nova answers an unknown status with an empty list.
        builder.andWhere('false');
      } else {
        builder.andWhere('instance.vmState IN (:...vmStates)', { vmStates });
      }
    }
    const exact: [string, string][] = [
      ['image', 'imageRef'],
      ['flavor', "flavor->>'id'"],
      ['reservation_id', 'reservationId'],
      ['availability_zone', 'availabilityZone'],
      ['key_name', 'keyName'],
    ];
    for (const [parameter, column] of exact) {
      const value = queryText(query, parameter);
      if (value !== undefined) {
        builder.andWhere(`instance.${column} = :${parameter}`, { [parameter]: value });
      }
    }
    const host = queryText(query, 'host');
    if (host !== undefined && caller.isAdmin) {
      builder.andWhere('instance.host = :host', { host });
    }
    // A server with an address of the `ip` pattern or an IPv6 one of `ip6` (a member's filter from 2.5; Nova drops it before).
    const ip = queryText(query, 'ip');
    const ip6 = caller.isAdmin || version.atLeast('2.5') ? queryText(query, 'ip6') : undefined;
    const matches = [...(ip === undefined ? [] : ["fixed->>'ipAddress' ~ :ip"]), ...(ip6 === undefined ? [] : ["(fixed->>'ipAddress' LIKE '%:%' AND fixed->>'ipAddress' ~ :ip6)"])];
    if (matches.length > 0) {
      builder.andWhere(new Brackets((where) => where.where(`EXISTS (SELECT 1 FROM jsonb_array_elements(instance.ports) port, jsonb_array_elements(port->'fixedIps') fixed WHERE ${matches.join(' OR ')})`, { ip, ip6 })));
    }
  }

  /** The list's order: the asked `sort_key`s (created_at by default), newest first, then the id so the order is total. */
  private order(query: Record<string, unknown>): OrderKey[] {
    const keysOf = (name: string) => {
      const value = query[name];
      return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
    };
    const keys = keysOf('sort_key');
    const directions = keysOf('sort_dir');
    const order: OrderKey[] = (keys.length === 0 ? ['created_at'] : keys).map((key, index) => {
      const property = SORT_KEYS[key];
      if (property === undefined) {
        throw badRequest(`Invalid input for query parameters sort_key. Value: ${key}.`);
      }
      const direction = (directions[index] ?? directions[0] ?? 'desc').toLowerCase();
      if (direction !== 'asc' && direction !== 'desc') {
        throw badRequest(`Invalid input for query parameters sort_dir. Value: ${direction}. '${direction}' is not one of ['asc', 'desc']`);
      }
      return { property, descending: direction === 'desc' };
    });
    return [...order, { property: 'id', descending: order[0]?.descending ?? true }];
  }

  /** The image to boot, as the requester may see it, and whether the flavor can hold it; with its kernel and ramdisk. */
  async bootImage(caller: Caller, imageRef: string, flavor: Pick<FlavorEntity, 'memoryMb' | 'rootGb'>): Promise<{ boot: BootImage; glance: GlanceImage }> {
    const glance = await this.images.find(caller.auth.rawToken, imageRef);
    if (!glance) {
      throw badRequest(`Image ${imageRef} could not be found.`);
    }
    if (glance.status !== 'active') {
      throw badRequest(`Image ${imageRef} is not active.`);
    }
    if ((glance.min_ram ?? 0) > flavor.memoryMb) {
      throw badRequest("Flavor's memory is too small for requested image.");
    }
    const gib = 1024 ** 3;
    if (flavor.rootGb > 0 && ((glance.min_disk ?? 0) > flavor.rootGb || (glance.size ?? 0) > flavor.rootGb * gib)) {
      throw badRequest("Flavor's disk is too small for requested image.");
    }
    const source = async (id: string, role: string): Promise<ImageSource> => {
      const image = await this.images.find(caller.auth.rawToken, id);
      if (!image || image.status !== 'active') {
        throw badRequest(`The ${role} image ${id} of image ${imageRef} could not be found or is not active.`);
      }
      return { id, diskFormat: image.disk_format ?? 'raw', size: image.size ?? 0, fileUrl: this.images.fileUrl(id) };
    };
    const kernelId = typeof glance['kernel_id'] === 'string' ? glance['kernel_id'] : undefined;
    const ramdiskId = typeof glance['ramdisk_id'] === 'string' ? glance['ramdisk_id'] : undefined;
    const properties = Object.fromEntries(Object.entries(glance).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    return {
      glance,
      boot: {
        id: glance.id,
        diskFormat: glance.disk_format ?? 'raw',
        size: glance.size ?? 0,
        fileUrl: this.images.fileUrl(glance.id),
        kernel: kernelId === undefined ? undefined : await source(kernelId, 'kernel'),
        ramdisk: ramdiskId === undefined ? undefined : await source(ramdiskId, 'ramdisk'),
        kernelArgs: typeof glance['os_command_line'] === 'string' ? glance['os_command_line'] : undefined,
        properties,
      },
    };
  }

  /** The NICs the server gets, each checked now: a network it may use, a port that is free; none named means the project's one network. */
  private async nics(caller: Caller, boot: BootRequest): Promise<NicRequest[]> {
    const token = caller.auth.rawToken;
    const securityGroupIds = boot.securityGroups.length === 0 ? undefined : await this.network.securityGroupIds(token, caller.projectId, boot.securityGroups);
    if (boot.networks === 'none') {
      return [];
    }
    if (boot.networks === 'auto') {
      const networks = await this.network.networksOf(token, caller.projectId);
      if (networks.length > 1) {
        throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
      }
      return networks.map((network) => ({ kind: 'network', networkId: network.id, network, securityGroupIds }));
    }
    const nics: NicRequest[] = [];
    for (const requested of boot.networks) {
      if (requested.kind === 'port') {
        const port = await this.network.portOf(token, requested.portId);
        if (!port) {
          throw badRequest(`Port ${requested.portId} could not be found.`);
        }
        if (port.device_id !== '') {
          throw conflict(`Port ${requested.portId} is still in use.`);
        }
        nics.push({ kind: 'port', portId: port.id });
      } else {
        const network = await this.network.network(token, requested.networkId);
        if (!network) {
          throw badRequest(`Network ${requested.networkId} could not be found.`);
        }
        nics.push({ kind: 'network', networkId: requested.networkId, network, fixedIp: requested.fixedIp, securityGroupIds });
      }
    }
    return nics;
  }

  private async checkZone(zone: string | undefined): Promise<void> {
    if (zone === undefined) {
      return;
    }
    const known = await this.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM compute_nodes WHERE availability_zone = $1', [zone]);
    if ((known[0]?.n ?? 0) === 0) {
      throw badRequest(`The requested availability zone is not available`);
    }
  }

  private async group(caller: Caller, groupId: string): Promise<ServerGroupEntity> {
    const group = await this.dataSource.manager.findOneBy(ServerGroupEntity, { id: groupId });
    if (!group || !caller.sees(group)) {
      throw badRequest(`Invalid hint: server group ${groupId} could not be found.`);
    }
    await checkGroupRoom(this.dataSource.manager, this.quotas, group);
    return group;
  }

  private async record(
    manager: EntityManager,
    caller: Caller,
    boot: BootRequest,
    context: { flavor: FlavorEntity; image?: { boot: BootImage }; keypair?: KeypairEntity; reservationId: string; index: number; count: number; groupId?: string },
  ): Promise<InstanceEntity> {
    const { flavor } = context;
    // Several at once are named `<name>-<n>`, as Nova's multi-create does.
    const displayName = context.count > 1 ? `${boot.name}-${context.index + 1}` : boot.name;
    const instance = manager.create(InstanceEntity, {
      id: randomUUID(),
      projectId: caller.projectId,
      userId: caller.userId,
      displayName,
      hostname: hostnameOf(displayName),
      description: boot.description,
      imageRef: context.image?.boot.id ?? null,
      flavor: instanceFlavor(flavor),
      keyName: context.keypair?.name ?? null,
      keyData: context.keypair?.publicKey ?? null,
      userData: boot.userData ?? null,
      metadata: boot.metadata,
      vmState: 'building',
      taskState: 'scheduling',
      powerState: POWER_STATE.NOSTATE,
      host: null,
      nodeId: null,
      availabilityZone: boot.availabilityZone ?? null,
      configDrive: boot.configDrive,
      ports: [],
      securityGroups: boot.securityGroups.length > 0 ? boot.securityGroups : ['default'],
      accessIpV4: boot.accessIpV4 ?? null,
      accessIpV6: boot.accessIpV6 ?? null,
      locked: false,
      lockedReason: null,
      lockedBy: null,
      fault: null,
      reservationId: context.reservationId,
      launchIndex: context.index,
      launchedAt: null,
      terminatedAt: null,
      deletedAt: null,
    });
    await manager.save(instance);
    await this.serverVolumes.recordForBoot(manager, instance.id, boot.volumes);
    await this.actions.record(manager, instance, 'create', caller.userId);
    if (context.groupId !== undefined) {
      await manager.insert(ServerGroupMemberEntity, { groupId: context.groupId, instanceId: instance.id });
    }
    return instance;
  }
}

/** Nova's hostname from a display name: lower case, letters, digits and hyphens, at most 63 characters. */
export function hostnameOf(name: string): string {
  const hostname = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return hostname === '' ? 'server' : hostname;
}
