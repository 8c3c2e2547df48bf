import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type BootImage, COMPUTE_AGENT_PATTERNS, type InstanceOperation, type InstanceOutcome, POWER_STATE } from '@overcast/compute/contracts';
import { BlockDeviceMappingEntity, InstanceEntity, type InstancePort, type VmState } from '@overcast/compute/data-access';
import pLimit from 'p-limit';
import { DataSource, IsNull, Not, Or } from 'typeorm';
import { AgentCommands } from '../agents/agent-commands';
import { NetworkClient, type NeutronNetwork, type NeutronPort, type PortRequest } from '../clients/network-client';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { NoValidHostError, type PlacementRequest, SchedulerService } from '../scheduler/scheduler.service';
import { InstanceActionsService } from './instance-actions.service';
import { InstanceMigrations } from './instance-migrations';
import { ServerVolumesService } from '../volumes/server-volumes.service';
import { configDriveFor } from './config-drive';
import { errorState, instanceSpec } from './instance-spec';
import { bindInstancePort } from './port-binding';

/** The vm_state each host action leaves a server in when it succeeds. */
const SETTLED_VM_STATE: Partial<Record<InstanceOperation, VmState>> = {
  'power-on': 'active',
  'power-off': 'stopped',
  reboot: 'active',
  pause: 'paused',
  unpause: 'active',
  suspend: 'suspended',
  resume: 'active',
};

/** The operation a host was running for each task: what is lost when the host's agent is. */
const OPERATION_OF_TASK: Record<string, InstanceOperation> = {
  spawning: 'build',
  rebuilding: 'rebuild',
  deleting: 'destroy',
  'powering-on': 'power-on',
  'powering-off': 'power-off',
  rebooting: 'reboot',
  rebooting_hard: 'reboot',
  pausing: 'pause',
  unpausing: 'unpause',
  suspending: 'suspend',
  resuming: 'resume',
  image_snapshot: 'snapshot',
  resize_migrating: 'migrate-disks',
  resize_finish: 'finish-migration',
  resize_reverting: 'revert-migration',
};

/** The os-instance-actions name of each operation, where it differs. */
const ACTION_OF_OPERATION: Partial<Record<InstanceOperation, string>> = { 'power-on': 'start', 'power-off': 'stop', snapshot: 'createImage' };

/** Deleted, or being deleted: a build that finds it so stops and gives back what it took. */
const isDeleted = (instance: InstanceEntity) => instance.deletedAt !== null || instance.taskState === 'deleting';

/** Thrown by a build step that finds its instance deleted. */
class BuildAbandoned extends Error {}

/** A NIC the build makes or takes: a new port on a network, or the user's own port. */
export type NicRequest = ({ kind: 'network'; network: Pick<NeutronNetwork, 'name' | 'mtu'> } & PortRequest) | { kind: 'port'; portId: string };

/** What a build needs beyond the instance's row; kept in memory while the build runs (a restart fails it). */
export interface BuildContext {
  /** The requester's token: ports are made, and image data read, with it. */
  token: string;
  userId: string;
  nics: NicRequest[];
  image?: BootImage;
  /** The root password the server was created with, for its config drive (never stored). */
  adminPass: string;
  placement: Omit<PlacementRequest, 'instanceId' | 'excludeHosts'>;
  /** Hosts the build already failed on. */
  failedHosts: string[];
  /** Why it failed there, for the fault when no host is left. */
  failures: string[];
}

/**
 * The conductor's part of an instance's life: the build flow of architecture.md §5 (claim a host,
 * make and bind the ports, cast `build`, retry elsewhere when the host fails it), the outcomes the
 * agents send back, and deletion. Whatever an instance took — its allocation, its ports — is given
 * back on every path that ends it.
 */
@Injectable()
export class InstanceLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('compute');
  private readonly builds = new Map<string, BuildContext>();
  /** Build steps under way, so that stopping waits for them rather than cutting them off mid-write. */
  private readonly running = new Set<Promise<void>>();
  /** Builds run this many at a time (Nova's `max_concurrent_builds`): a thousand at once would each wait on all the others. */
  private readonly buildSlots: pLimit.Limit;
  /** The requester's token of a delete or a volume attach or detach under way, for block storage once the host is done. */
  private readonly tokens = new Map<string, string>();

  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
    private readonly scheduler: SchedulerService,
    private readonly hosts: ComputeHostsService,
    private readonly network: NetworkClient,
    private readonly agents: AgentCommands,
    private readonly actions: InstanceActionsService,
    private readonly serverVolumes: ServerVolumesService,
    private readonly migrations: InstanceMigrations,
  ) {
    this.buildSlots = pLimit(settings.maxConcurrentBuilds);
  }

  /** Starts building a recorded instance in the background; its state shows how it goes. */
  startBuild(instanceId: string, context: BuildContext): void {
    this.builds.set(instanceId, context);
    this.runBuild(instanceId);
  }

  private runBuild(instanceId: string): void {
    const step = this.buildSlots(() => this.build(instanceId)).catch((error: unknown) => this.logger.error(`the build of ${instanceId} failed unexpectedly: ${String(error)}`));
    this.running.add(step);
    void step.finally(() => this.running.delete(step));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async build(instanceId: string): Promise<void> {
    const context = this.builds.get(instanceId);
    const instance = await this.current(instanceId);
    if (!context || !instance) {
      return;
    }
    const started = new Date();
    let host: string | undefined;
    try {
      await this.buildStep(instanceId, { taskState: 'scheduling' });
      const node = await this.scheduler.claim({ ...context.placement, instanceId, excludeHosts: context.failedHosts });
      host = node.host;
      await this.buildStep(instanceId, { host: node.host, nodeId: node.id, availabilityZone: node.availabilityZone, taskState: 'networking' });
      const ports = await this.plugPorts(instance, context, node.host, node.inventory?.hypervisorType === 'fake');
      await this.buildStep(instanceId, { taskState: 'block_device_mapping' });
      const volumes = await this.serverVolumes.connectForBuild(instance, node, context.token);
      await this.buildStep(instanceId, { taskState: 'spawning' });
      const latest = await this.current(instanceId);
      if (!latest || isDeleted(latest)) {
        throw new BuildAbandoned();
      }
      await this.actions.event(instanceId, 'create', 'compute__schedule_and_build_instances', node.host, started);
      const configDrive = latest.configDrive || this.settings.forceConfigDrive ? configDriveFor({ ...latest, ports }, context.adminPass) : undefined;
      if (configDrive !== undefined && !latest.configDrive) {
        await this.setState(instanceId, { configDrive: true });
      }
      await this.agents.cast(node.host, COMPUTE_AGENT_PATTERNS.build, { instance: instanceSpec({ ...latest, ports }, volumes, { image: context.image, configDrive }), authToken: context.token });
    } catch (error) {
      if (error instanceof BuildAbandoned) {
        return this.abandonBuild(instanceId, context.token);
      }
      const message = error instanceof Error ? error.message : String(error);
      await this.actions.event(instanceId, 'create', 'compute__schedule_and_build_instances', host ?? null, started, message);
      if (error instanceof NoValidHostError && context.failures.length > 0) {
        await this.failBuild(instanceId, `Exceeded maximum number of retries. ${context.failures.join(' ')} ${message}`);
      } else {
        await this.failBuild(instanceId, message);
      }
    }
  }

  /** Moves a build on to its next step; an instance deleted meanwhile stays as its deletion left it, and the build stops. */
  private async buildStep(instanceId: string, changes: Partial<InstanceEntity>): Promise<void> {
    const result = await this.dataSource.manager.update(InstanceEntity, { id: instanceId, deletedAt: IsNull(), taskState: Or(IsNull(), Not('deleting')) }, { ...changes, updatedAt: new Date() });
    if (result.affected === 0) {
      throw new BuildAbandoned();
    }
  }

  /**
   * The instance was deleted while it was being built. Its deletion released what the instance
   * had then; what the build took afterwards (ports, the allocation, volumes) is given back here.
   */
  private async abandonBuild(instanceId: string, token: string): Promise<void> {
    this.builds.delete(instanceId);
    const instance = await this.current(instanceId);
    if (!instance) {
      return this.scheduler.release(instanceId);
    }
    await this.release(instance);
    await this.serverVolumes.releaseAll(instance, token, true);
  }

  /** Makes the ports the build asked for (once) and binds all of them to `host`; recorded as they come, so a failure releases them. */
  private async plugPorts(instance: InstanceEntity, context: BuildContext, host: string, fakeHypervisor: boolean): Promise<InstancePort[]> {
    const ports: InstancePort[] = [...instance.ports];
    for (const nic of context.nics.slice(ports.length)) {
      const port =
        nic.kind === 'port'
          ? await this.network.port(nic.portId)
          : await this.network.createPort(context.token, instance.id, { networkId: nic.networkId, fixedIp: nic.fixedIp, securityGroupIds: nic.securityGroupIds });
      if (!port) {
        throw new Error(`Port ${nic.kind === 'port' ? nic.portId : ''} could not be found.`);
      }
      ports.push(await this.portRecord(context.token, port, nic.kind === 'port', nic.kind === 'network' ? nic.network : undefined));
      await this.setState(instance.id, { ports });
    }
    for (const port of ports) {
      await bindInstancePort(this.network, instance.id, port, host, fakeHypervisor);
    }
    await this.setState(instance.id, { ports });
    return ports;
  }

  /** How the instance keeps a port it takes: what its `addresses` and its host's VIF are made of. */
  async portRecord(token: string, port: NeutronPort, preserveOnDelete: boolean, known?: Pick<NeutronNetwork, 'name' | 'mtu'>): Promise<InstancePort> {
    const network = known ?? (await this.network.network(token, port.network_id));
    return {
      portId: port.id,
      networkId: port.network_id,
      networkName: network?.name ?? port.network_id,
      macAddress: port.mac_address,
      fixedIps: port.fixed_ips.map((fixedIp) => ({ ipAddress: fixedIp.ip_address, subnetId: fixedIp.subnet_id })),
      vifType: 'unbound',
      devName: `tap${port.id.slice(0, 11)}`,
      mtu: network?.mtu,
      preserveOnDelete,
    };
  }

  /** An agent's report of how an operation ended. */
  async apply(outcome: InstanceOutcome): Promise<void> {
    const instance = await this.current(outcome.instanceId);
    if (!instance) {
      return;
    }
    switch (outcome.operation) {
      case 'build':
        return this.buildEnded(instance, outcome);
      case 'rebuild':
        return this.rebuildEnded(instance, outcome);
      case 'destroy':
        // Only a delete under way ends with it: a reaped stray's outcome changes nothing.
        if (instance.taskState !== 'deleting') {
          return;
        }
        return outcome.error === undefined ? this.finishDelete(instance) : this.setError(instance.id, `Deleting the instance failed on ${outcome.host}: ${outcome.error}`, { taskState: null });
      case 'power-on':
      case 'power-off':
      case 'reboot':
      case 'pause':
      case 'unpause':
      case 'suspend':
      case 'resume':
      case 'snapshot':
        return this.actionEnded(instance, outcome);
      case 'attach-volume':
      case 'detach-volume':
        return this.volumeChanged(instance, outcome);
      case 'attach-interface':
        return this.interfaceAttached(instance, outcome);
      case 'detach-interface':
        return this.interfaceDetached(instance, outcome);
      case 'migrate-disks':
      case 'finish-migration':
      case 'confirm-migration':
      case 'drop-migration':
      case 'revert-migration':
        return this.migrations.apply(outcome, outcome.operation);
    }
  }

  /**
   * A power action or snapshot ended: the instance settles in the state the action leads to, or,
   * when it failed, stays as it was with the failure in its action's events (as Nova reverts the task).
   */
  private async actionEnded(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    const action = ACTION_OF_OPERATION[outcome.operation] ?? outcome.operation;
    await this.actions.event(instance.id, action, `compute_${outcome.operation.replace(/-/g, '_')}_instance`, outcome.host, instance.updatedAt, outcome.error);
    const settled = outcome.error === undefined ? SETTLED_VM_STATE[outcome.operation] : undefined;
    await this.setState(instance.id, {
      taskState: null,
      ...(settled === undefined ? {} : { vmState: settled }),
      ...(outcome.powerState === undefined ? {} : { powerState: outcome.powerState }),
    });
  }

  /** A rebuild leaves the server as it was (running, or stopped); one that failed has lost its disk: ERROR, as in Nova. */
  private async rebuildEnded(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    await this.actions.event(instance.id, 'rebuild', 'compute_rebuild_instance', outcome.host, instance.updatedAt, outcome.error);
    if (outcome.error !== undefined) {
      return this.setError(instance.id, `Rebuilding the instance failed on ${outcome.host}: ${outcome.error}`, { taskState: null, powerState: outcome.powerState ?? POWER_STATE.NOSTATE });
    }
    const powerState = outcome.powerState ?? POWER_STATE.RUNNING;
    await this.setState(instance.id, { taskState: null, vmState: powerState === POWER_STATE.SHUTDOWN ? 'stopped' : 'active', powerState, launchedAt: new Date(), fault: null });
  }

  private async buildEnded(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    const context = this.builds.get(instance.id);
    if (instance.taskState === 'deleting') {
      this.builds.delete(instance.id);
      return;
    }
    if (outcome.error === undefined) {
      this.builds.delete(instance.id);
      if (context) {
        await this.serverVolumes.complete(instance, context.token);
      }
      await this.setState(instance.id, { vmState: 'active', taskState: null, powerState: outcome.powerState ?? POWER_STATE.RUNNING, launchedAt: new Date() });
      return;
    }
    await this.actions.event(instance.id, 'create', 'compute__build_and_run_instance', outcome.host, instance.updatedAt, outcome.error);
    // The host failed it: try another, as Nova reschedules, while retries are left.
    await this.scheduler.release(instance.id);
    if (context && context.failedHosts.length < this.settings.buildRetries) {
      context.failedHosts.push(outcome.host);
      context.failures.push(`Build failed on ${outcome.host}: ${outcome.error}.`);
      await this.setState(instance.id, { host: null, nodeId: null });
      this.runBuild(instance.id);
      return;
    }
    await this.failBuild(instance.id, `Build of instance ${instance.id} failed on ${outcome.host}: ${outcome.error}`);
  }

  /** Ends a build in ERROR with its fault, having given back what it took. */
  private async failBuild(instanceId: string, message: string): Promise<void> {
    const token = this.builds.get(instanceId)?.token;
    this.builds.delete(instanceId);
    const instance = await this.current(instanceId);
    if (!instance) {
      return;
    }
    if (instance.deletedAt !== null) {
      return this.release(instance);
    }
    if (instance.taskState === 'deleting') {
      return this.finishDelete(instance);
    }
    await this.release(instance);
    await this.serverVolumes.releaseAll(instance, token, false);
    await this.setError(instanceId, message, { taskState: null, ports: [], host: null, nodeId: null });
  }

  /**
   * Deletes an instance: its host's agent destroys the guest and the rest is released when it says
   * so; an instance on no host, or on a host that is down, is released here (Nova's local delete).
   */
  async delete(instance: InstanceEntity, token: string): Promise<void> {
    this.tokens.set(instance.id, token);
    await this.setState(instance.id, { taskState: 'deleting' });
    await this.migrations.endForDelete(instance, token);
    const node = instance.host === null ? null : await this.hosts.findByHost(instance.host);
    if (node === null || !this.hosts.isUp(node) || this.builds.has(instance.id)) {
      if (node !== null && instance.host !== null && this.hosts.isUp(node)) {
        // Still building: the agent may have it already; destroy is idempotent.
        await this.agents.cast(instance.host, COMPUTE_AGENT_PATTERNS.destroy, { instance: instanceSpec(instance, []) });
      }
      return this.finishDelete(instance);
    }
    const volumes = await this.dataSource.manager.findBy(BlockDeviceMappingEntity, { instanceId: instance.id });
    await this.agents.cast(node.host, COMPUTE_AGENT_PATTERNS.destroy, { instance: instanceSpec(instance, volumes) });
  }

  /** Destroys what `host` holds of an instance that is not (or no longer) there; nothing else about the instance changes. */
  async reap(host: string, instance: InstanceEntity): Promise<void> {
    await this.agents.cast(host, COMPUTE_AGENT_PATTERNS.destroy, { instance: instanceSpec(instance, []) });
  }

  private async finishDelete(instance: InstanceEntity): Promise<void> {
    const token = this.tokens.get(instance.id) ?? this.builds.get(instance.id)?.token;
    this.tokens.delete(instance.id);
    this.builds.delete(instance.id);
    // As it is now: a build under way may have made ports since the delete read it.
    await this.release((await this.current(instance.id)) ?? instance);
    await this.serverVolumes.releaseAll(instance, token, true);
    const now = new Date();
    await this.setState(instance.id, { vmState: 'deleted', taskState: null, powerState: POWER_STATE.NOSTATE, deletedAt: now, terminatedAt: now });
  }

  /** Gives back the instance's allocation and ports (the user's own ports are only unbound). */
  private async release(instance: InstanceEntity): Promise<void> {
    await this.scheduler.release(instance.id);
    for (const port of instance.ports) {
      await this.releasePort(instance.id, port);
    }
  }

  /** Gives back one port: deleted if the instance made it, unbound if the user brought it; a failure is logged, not thrown, so the rest is still released. */
  async releasePort(instanceId: string, port: Pick<InstancePort, 'portId' | 'preserveOnDelete'>): Promise<void> {
    try {
      await (port.preserveOnDelete ? this.network.unbindPort(port.portId) : this.network.deletePort(port.portId));
    } catch (error) {
      this.logger.error(`releasing port ${port.portId} of instance ${instanceId} failed: ${String(error)}`);
    }
  }

  /**
   * Ends the work a host's agent was given and will never finish: it restarted (work handed
   * before `handedBefore` was lost with its old process) or it went down. A lost build is retried
   * elsewhere or fails; a lost delete is redone (or finished here when the host is down); other
   * actions fail, leaving the server as it was.
   */
  async failStranded(host: string, reason: string, handedBefore?: Date): Promise<void> {
    const stranded = await this.dataSource.manager
      .createQueryBuilder(InstanceEntity, 'instance')
      .where('instance.host = :host AND instance.deletedAt IS NULL AND instance.taskState IN (:...tasks)', { host, tasks: Object.keys(OPERATION_OF_TASK) })
      .andWhere(handedBefore === undefined ? 'true' : 'instance.updatedAt < :handedBefore', { handedBefore })
      .getMany();
    for (const instance of stranded) {
      const operation = OPERATION_OF_TASK[instance.taskState ?? ''] as InstanceOperation;
      this.logger.warn(`${operation} of instance ${instance.id} is lost: ${reason}`);
      if (operation === 'destroy') {
        const node = await this.hosts.findByHost(host);
        await (node !== null && this.hosts.isUp(node) ? this.agents.cast(host, COMPUTE_AGENT_PATTERNS.destroy, { instance: instanceSpec(instance, []) }) : this.finishDelete(instance));
      } else {
        await this.apply({ operation, instanceId: instance.id, host, error: reason });
      }
    }
  }

  /** Hands a volume to the instance's host (`attach`) or takes it away; block storage follows when the host is done. */
  async changeVolume(instance: InstanceEntity, mapping: BlockDeviceMappingEntity, attach: boolean, token: string): Promise<void> {
    const volumes = await this.serverVolumes.mappingsOf(instance.id);
    const blockDevice = instanceSpec(instance, [mapping]).blockDevices[0];
    this.tokens.set(`${instance.id}:${mapping.volumeId}`, token);
    await this.agents.cast(instance.host as string, attach ? COMPUTE_AGENT_PATTERNS.attachVolume : COMPUTE_AGENT_PATTERNS.detachVolume, {
      instance: instanceSpec(instance, volumes),
      blockDevice,
    });
  }

  /** The host attached or detached a volume: complete the attachment, or give the volume back; a failed attach is undone. */
  private async volumeChanged(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    const key = `${instance.id}:${outcome.resourceId}`;
    const token = this.tokens.get(key);
    this.tokens.delete(key);
    const mapping = (await this.serverVolumes.mappingsOf(instance.id)).find((candidate) => candidate.volumeId === outcome.resourceId);
    const action = outcome.operation === 'attach-volume' ? 'attach_volume' : 'detach_volume';
    await this.actions.event(instance.id, action, `compute_${action}`, outcome.host, instance.updatedAt, outcome.error);
    if (!mapping || token === undefined) {
      this.logger.warn(`the ${outcome.operation} of volume ${outcome.resourceId} on instance ${instance.id} ended, but its request is no longer known here`);
      return;
    }
    const attached = outcome.operation === 'attach-volume' ? outcome.error === undefined : outcome.error !== undefined;
    if (attached) {
      if (outcome.operation === 'attach-volume') {
        await this.serverVolumes.complete(instance, token, [mapping]);
      }
      return;
    }
    await this.serverVolumes.detach(instance, mapping, token);
  }

  /** A hot-plug ended. The port was recorded when it was asked for (so a delete meanwhile releases it too): only a failure changes anything. */
  private async interfaceAttached(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    await this.actions.event(instance.id, 'attach_interface', 'compute_attach_interface', outcome.host, instance.updatedAt, outcome.error);
    if (outcome.error !== undefined && outcome.resourceId !== undefined) {
      await this.removePort(instance.id, outcome.resourceId);
    }
  }

  /** A hot-unplug ended: the port leaves the instance, unless the host could not take it out. */
  private async interfaceDetached(instance: InstanceEntity, outcome: InstanceOutcome): Promise<void> {
    await this.actions.event(instance.id, 'detach_interface', 'compute_detach_interface', outcome.host, instance.updatedAt, outcome.error);
    if (outcome.error === undefined && outcome.resourceId !== undefined) {
      await this.removePort(instance.id, outcome.resourceId);
    }
  }

  /**
   * Takes a port off the instance's record, under its row lock so a concurrent attach is not lost,
   * and gives it back. An instance being deleted keeps it: its deletion releases every port.
   */
  async removePort(instanceId: string, portId: string): Promise<void> {
    const removed = await this.dataSource.transaction(async (manager) => {
      const instance = await manager.findOne(InstanceEntity, { where: { id: instanceId }, lock: { mode: 'pessimistic_write' } });
      const port = instance?.ports.find((candidate) => candidate.portId === portId);
      if (!instance || !port || instance.deletedAt !== null || instance.taskState === 'deleting') {
        return undefined;
      }
      await manager.update(InstanceEntity, { id: instanceId }, { ports: instance.ports.filter((candidate) => candidate !== port), updatedAt: new Date() });
      return port;
    });
    if (removed) {
      await this.releasePort(instanceId, removed);
    }
  }

  private async current(instanceId: string): Promise<InstanceEntity | null> {
    return this.dataSource.manager.findOneBy(InstanceEntity, { id: instanceId });
  }

  private async setState(instanceId: string, changes: Partial<InstanceEntity>): Promise<void> {
    await this.dataSource.manager.update(InstanceEntity, { id: instanceId }, { ...changes, updatedAt: new Date() });
  }

  private async setError(instanceId: string, message: string, changes: Partial<InstanceEntity> = {}): Promise<void> {
    await this.setState(instanceId, { ...changes, ...errorState(message) });
  }
}
