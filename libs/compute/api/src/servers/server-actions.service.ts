import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type BootImage, COMPUTE_AGENT_PATTERNS, type ConsoleOutput } from '@overcast/compute/contracts';
import { BlockDeviceMappingEntity, type FlavorEntity, InstanceEntity, type VmState } from '@overcast/compute/data-access';
import { badRequest, conflict, parseInput } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { z } from 'zod';
import { AgentCommands } from '../agents/agent-commands';
import { ImageClient } from '../clients/image-client';
import { NetworkClient } from '../clients/network-client';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { InstanceActionsService } from '../instances/instance-actions.service';
import { configDriveFor } from '../instances/config-drive';
import { InstanceMigrations } from '../instances/instance-migrations';
import { instanceFlavor, instanceSpec } from '../instances/instance-spec';
import { FlavorsService } from '../flavors/flavors.service';
import { QuotasService } from '../quotas/quotas.service';
import { idFromRef } from './server-request';
import { serverBasicView } from './server-view';
import { hostnameOf, ServersService } from './servers.service';

/** What an action changes on the instance as it starts, and what its host is told beside the instance. */
interface CastOptions {
  changes?: Partial<InstanceEntity>;
  spec?: (started: InstanceEntity) => Parameters<typeof instanceSpec>[2];
  payload?: (started: InstanceEntity) => object;
  /** The requester's token, when the host calls the image service. */
  authToken?: string;
}

/** An action the agent carries out: the vm_states it may start from, the task it runs as, and the pattern that asks for it. */
interface HostAction {
  /** Nova's instance-action name (os-instance-actions). */
  action: string;
  from: VmState[];
  taskState: string;
  pattern: string;
}

const HOST_ACTIONS = {
  'os-start': { action: 'start', from: ['stopped'], taskState: 'powering-on', pattern: COMPUTE_AGENT_PATTERNS.powerOn },
  'os-stop': { action: 'stop', from: ['active', 'error'], taskState: 'powering-off', pattern: COMPUTE_AGENT_PATTERNS.powerOff },
  pause: { action: 'pause', from: ['active'], taskState: 'pausing', pattern: COMPUTE_AGENT_PATTERNS.pause },
  unpause: { action: 'unpause', from: ['paused'], taskState: 'unpausing', pattern: COMPUTE_AGENT_PATTERNS.unpause },
  suspend: { action: 'suspend', from: ['active', 'paused'], taskState: 'suspending', pattern: COMPUTE_AGENT_PATTERNS.suspend },
  resume: { action: 'resume', from: ['suspended'], taskState: 'resuming', pattern: COMPUTE_AGENT_PATTERNS.resume },
} satisfies Record<string, HostAction>;

const rebootBody = z.strictObject({ type: z.enum(['SOFT', 'HARD', 'soft', 'hard']).transform((type) => type.toUpperCase() as 'SOFT' | 'HARD') });
const createImageBody = z.strictObject({ name: z.string().min(1).max(255), metadata: z.record(z.string().max(255), z.string().max(255)).optional() });
const rebuildBody = z.strictObject({
  imageRef: z.string().min(1),
  name: z.string().min(1).max(255).optional(),
  metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
  adminPass: z.string().optional(),
  accessIPv4: z.ipv4().optional(),
  accessIPv6: z.ipv6().optional(),
  'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
  preserve_ephemeral: z.boolean().optional(),
});
const consoleBody = z.strictObject({ length: z.union([z.number().int().min(-1), z.string().regex(/^-?\d+$/), z.null()]).optional() });
const lockBody = z.union([z.null(), z.strictObject({ locked_reason: z.string().max(255).optional() })]);
const securityGroupBody = z.strictObject({ name: z.string().min(1) });
const resizeBody = z.strictObject({ flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String), 'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional() });
/** `migrate`, `confirmResize` and `revertResize` take no arguments (`null`; a host for `migrate` comes with 2.56). */
const noArguments = z.strictObject({});

/** `POST /servers/{id}/action`: the power actions, lock, console output, snapshots, rebuild, resize and cold migration, with Nova's state checks (409 when the server is not in a state for it). */
@Injectable()
export class ServerActionsService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly servers: ServersService,
    private readonly agents: AgentCommands,
    private readonly images: ImageClient,
    private readonly network: NetworkClient,
    private readonly actions: InstanceActionsService,
    private readonly quotas: QuotasService,
    private readonly flavors: FlavorsService,
    private readonly migrations: InstanceMigrations,
  ) {}

  /** Runs the one action the body names; answers the body to return (most answer none, with 202). */
  async act(caller: Caller, version: ApiVersion, id: string, body: unknown, baseUrl: string): Promise<{ status: number; body?: unknown; location?: string }> {
    const entries = body !== null && typeof body === 'object' ? Object.entries(body) : [];
    if (entries.length !== 1) {
      throw badRequest('There is no such action: the body must name exactly one action.');
    }
    const [name, argument] = entries[0] as [string, unknown];
    const instance = await this.servers.visible(caller, id);
    caller.enforce('os_compute_api:servers:action', { project_id: instance.projectId });
    if (name in HOST_ACTIONS) {
      const hostAction = HOST_ACTIONS[name as keyof typeof HOST_ACTIONS];
      await this.castAction(caller, instance, hostAction);
      return { status: 202 };
    }
    switch (name) {
      case 'reboot': {
        const { type } = parseInput(rebootBody, argument);
        const reboot: HostAction =
          type === 'HARD'
            ? { action: 'reboot', from: ['active', 'stopped', 'paused', 'suspended', 'error'], taskState: 'rebooting_hard', pattern: COMPUTE_AGENT_PATTERNS.reboot }
            : { action: 'reboot', from: ['active'], taskState: 'rebooting', pattern: COMPUTE_AGENT_PATTERNS.reboot };
        await this.castAction(caller, instance, reboot, { payload: () => ({ type }) });
        return { status: 202 };
      }
      case 'lock':
        return this.lock(caller, instance, parseInput(lockBody, argument)?.locked_reason ?? null);
      case 'unlock':
        return this.unlock(caller, instance);
      case 'os-getConsoleOutput':
        return { status: 200, body: await this.consoleOutput(instance, parseInput(consoleBody, argument).length) };
      case 'createImage':
        return this.createImage(caller, instance, parseInput(createImageBody, argument), baseUrl);
      case 'rebuild':
        return this.rebuild(caller, instance, parseInput(rebuildBody, argument), baseUrl, version);
      case 'resize':
        await this.resize(caller, instance, parseInput(resizeBody, argument).flavorRef);
        return { status: 202 };
      case 'migrate':
        parseInput(noArguments, argument);
        caller.enforce('os_compute_api:os-migrate-server:migrate', { project_id: instance.projectId });
        await this.migrations.start({ kind: 'migration', instance, userId: caller.userId, newFlavor: instance.flavor, image: await this.imageOf(caller, instance, instance.flavor), token: caller.auth.rawToken });
        return { status: 202 };
      case 'confirmResize':
        parseInput(noArguments, argument);
        caller.enforce('os_compute_api:servers:confirm_resize', { project_id: instance.projectId });
        this.checkUnlocked(caller, instance);
        await this.migrations.confirm(instance, caller.userId);
        return { status: 204 };
      case 'revertResize':
        parseInput(noArguments, argument);
        caller.enforce('os_compute_api:servers:revert_resize', { project_id: instance.projectId });
        this.checkUnlocked(caller, instance);
        await this.migrations.revert(instance, caller.userId, caller.auth.rawToken);
        return { status: 202 };
      case 'addSecurityGroup':
      case 'removeSecurityGroup':
        await this.changeSecurityGroup(caller, instance, name, parseInput(securityGroupBody, argument).name);
        return { status: 202 };
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  }

  /**
   * Moves the instance into the action's task (only from the states it may start from), with the
   * action's own `changes`, and hands the work to its host: the instance (with `spec` extras such
   * as a new image) and the request's own fields (`payload`).
   */
  private async castAction(caller: Caller, instance: InstanceEntity, hostAction: HostAction, options: CastOptions = {}): Promise<void> {
    this.checkUnlocked(caller, instance);
    const started = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(InstanceEntity, { where: { id: instance.id }, lock: { mode: 'pessimistic_write' } });
      if (!current) {
        throw conflict(`Instance ${instance.id} is being deleted.`);
      }
      if (current.taskState !== null) {
        throw conflict(`Cannot '${hostAction.action}' instance ${instance.id} while it is in task_state ${current.taskState}`);
      }
      if (!hostAction.from.includes(current.vmState) || current.host === null) {
        throw conflict(`Cannot '${hostAction.action}' instance ${instance.id} while it is in vm_state ${current.vmState}`);
      }
      await manager.update(InstanceEntity, { id: instance.id }, { ...options.changes, taskState: hostAction.taskState, updatedAt: new Date() });
      await this.actions.record(manager, instance, hostAction.action, caller.userId);
      return { ...current, ...options.changes };
    });
    const volumes = await this.dataSource.manager.findBy(BlockDeviceMappingEntity, { instanceId: instance.id });
    try {
      await this.agents.cast(started.host as string, hostAction.pattern, {
        instance: instanceSpec(started, volumes, options.spec?.(started)),
        ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
        ...options.payload?.(started),
      });
    } catch (error) {
      await this.dataSource.manager.update(InstanceEntity, { id: instance.id }, { taskState: null, updatedAt: new Date() });
      throw error;
    }
  }

  private checkUnlocked(caller: Caller, instance: InstanceEntity): void {
    if (instance.locked && !caller.isAdmin) {
      throw conflict(`Instance ${instance.id} is locked`);
    }
  }

  private async lock(caller: Caller, instance: InstanceEntity, reason: string | null): Promise<{ status: number }> {
    await this.dataSource.manager.update(InstanceEntity, { id: instance.id }, { locked: true, lockedReason: reason, lockedBy: caller.isAdmin ? 'admin' : 'owner', updatedAt: new Date() });
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'lock', caller.userId));
    return { status: 202 };
  }

  /** An owner may not lift an admin's lock (Nova's `unlock_override` rule). */
  private async unlock(caller: Caller, instance: InstanceEntity): Promise<{ status: number }> {
    if (instance.locked && instance.lockedBy === 'admin') {
      caller.enforce('os_compute_api:os-lock-server:unlock:unlock_override', { project_id: instance.projectId });
    }
    await this.dataSource.manager.update(InstanceEntity, { id: instance.id }, { locked: false, lockedReason: null, lockedBy: null, updatedAt: new Date() });
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'unlock', caller.userId));
    return { status: 202 };
  }

  /** The guest's serial console, from its host; Nova's 409 when it has none yet. */
  private async consoleOutput(instance: InstanceEntity, length: number | string | null | undefined): Promise<ConsoleOutput> {
    if (instance.host === null || instance.vmState === 'building') {
      throw conflict(`Cannot 'get_console_output' instance ${instance.id} while it is in vm_state ${instance.vmState}`);
    }
    const lines = length === undefined || length === null || Number(length) < 0 ? undefined : Number(length);
    const volumes = await this.dataSource.manager.findBy(BlockDeviceMappingEntity, { instanceId: instance.id });
    return this.agents.call<ConsoleOutput>(instance.host, COMPUTE_AGENT_PATTERNS.consoleOutput, { instance: instanceSpec(instance, volumes), length: lines });
  }

  /**
   * `createImage`: a new image in the requester's project, its data uploaded by the host from the
   * instance's root disk; the image is deleted if the host cannot make it.
   */
  private async createImage(caller: Caller, instance: InstanceEntity, input: z.infer<typeof createImageBody>, baseUrl: string): Promise<{ status: number; location: string }> {
    this.checkUnlocked(caller, instance);
    if (instance.imageRef === null) {
      throw conflict(`Cannot snapshot instance ${instance.id}: it boots from a volume, which block storage snapshots.`);
    }
    const token = caller.auth.rawToken;
    const image = await this.images.create(token, {
      name: input.name,
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'private',
      instance_uuid: instance.id,
      image_type: 'snapshot',
      base_image_ref: instance.imageRef,
      user_id: instance.userId,
      ...(input.metadata ?? {}),
    });
    const snapshot: HostAction = { action: 'createImage', from: ['active', 'stopped', 'paused', 'suspended'], taskState: 'image_snapshot', pattern: COMPUTE_AGENT_PATTERNS.snapshot };
    try {
      await this.castAction(caller, instance, snapshot, { payload: () => ({ imageId: image.id, diskFormat: 'qcow2', fileUrl: this.images.fileUrl(image.id) }), authToken: token });
    } catch (error) {
      await this.images.delete(token, image.id).catch(() => undefined);
      throw error;
    }
    return { status: 202, location: `${baseUrl}/images/${image.id}` };
  }

  /**
   * `rebuild`: the server made anew from another image on its host, keeping its ports and
   * volumes (Nova's rebuild); a stopped server stays stopped. Answers the server, with its new
   * root password.
   */
  private async rebuild(caller: Caller, instance: InstanceEntity, input: z.infer<typeof rebuildBody>, baseUrl: string, version: ApiVersion): Promise<{ status: number; body: unknown }> {
    this.checkUnlocked(caller, instance);
    if (instance.imageRef === null) {
      throw badRequest(`Instance ${instance.id} boots from a volume: it cannot be rebuilt from an image.`);
    }
    const image = await this.servers.bootImage(caller, idFromRef(input.imageRef), instance.flavor);
    if (input.metadata !== undefined) {
      await this.quotas.checkMetadata(instance.projectId, Object.keys(input.metadata).length);
    }
    const adminPass = input.adminPass ?? randomUUID().replace(/-/g, '').slice(0, 12);
    const rebuild: HostAction = { action: 'rebuild', from: ['active', 'stopped', 'error'], taskState: 'rebuilding', pattern: COMPUTE_AGENT_PATTERNS.rebuild };
    await this.castAction(caller, instance, rebuild, {
      changes: {
        imageRef: image.boot.id,
        ...(input.name === undefined ? {} : { displayName: input.name, hostname: hostnameOf(input.name) }),
        ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
        ...(input.accessIPv4 === undefined ? {} : { accessIpV4: input.accessIPv4 }),
        ...(input.accessIPv6 === undefined ? {} : { accessIpV6: input.accessIPv6 }),
      },
      spec: (started) => ({ image: image.boot, configDrive: started.configDrive ? configDriveFor(started, adminPass) : undefined }),
      payload: (started) => ({ stopAfter: started.vmState === 'stopped' }),
      authToken: caller.auth.rawToken,
    });
    // Nova answers a rebuild with the server's basic view (its addresses without the MAC and type).
    return { status: 202, body: { server: { ...serverBasicView(await this.servers.visible(caller, instance.id), baseUrl, version), adminPass } } };
  }

  /**
   * `resize`: to another flavor, whose disks may not be smaller (the guest's data lives on them)
   * and whose growth must fit the project's quota; the move itself is InstanceMigrations'.
   */
  private async resize(caller: Caller, instance: InstanceEntity, flavorRef: string): Promise<void> {
    caller.enforce('os_compute_api:servers:resize', { project_id: instance.projectId });
    this.checkUnlocked(caller, instance);
    const flavor = await this.flavors.findForBoot(caller, flavorRef);
    const current = instance.flavor;
    if (flavor.id === current.id) {
      throw badRequest('When resizing, instances must change flavor!');
    }
    const imageBacked = instance.imageRef !== null;
    if (imageBacked && flavor.rootGb === 0 && current.rootGb !== 0) {
      throw badRequest('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
    }
    if ((imageBacked && flavor.rootGb < current.rootGb) || flavor.ephemeralGb < current.ephemeralGb) {
      throw badRequest('Server disk was unable to be resized because: Resizing to a smaller disk flavor is not allowed.');
    }
    const image = await this.imageOf(caller, instance, flavor);
    await this.quotas.checkResize(instance.projectId, current, flavor);
    await this.migrations.start({ kind: 'resize', instance, userId: caller.userId, newFlavor: instanceFlavor(flavor), image, token: caller.auth.rawToken });
  }

  /** The image a moving server booted from, which the new flavor must fit; Nova's 400 when it is gone. */
  private async imageOf(caller: Caller, instance: InstanceEntity, flavor: Pick<FlavorEntity, 'memoryMb' | 'rootGb'>): Promise<BootImage | undefined> {
    if (instance.imageRef === null) {
      return undefined;
    }
    return (await this.servers.bootImage(caller, instance.imageRef, flavor)).boot;
  }

  /** Adds or removes a security group on every port of the server, by name, as Nova does through the network service. */
  private async changeSecurityGroup(caller: Caller, instance: InstanceEntity, action: 'addSecurityGroup' | 'removeSecurityGroup', name: string): Promise<void> {
    const token = caller.auth.rawToken;
    const [groupId] = await this.network.securityGroupIds(token, instance.projectId, [name]);
    if (instance.ports.length === 0) {
      throw badRequest(`Instance ${instance.id} has no network ports to change security groups on.`);
    }
    const groups = new Set(instance.securityGroups);
    const adding = action === 'addSecurityGroup';
    if (!adding && !groups.has(name)) {
      throw badRequest(`Security group ${name} not associated with the instance ${instance.id}`);
    }
    for (const port of instance.ports) {
      await this.network.changeSecurityGroup(token, port.portId, groupId as string, adding);
    }
    if (adding) {
      groups.add(name);
    } else {
      groups.delete(name);
    }
    await this.dataSource.manager.update(InstanceEntity, { id: instance.id, deletedAt: IsNull() }, { securityGroups: [...groups], updatedAt: new Date() });
  }
}
