import { type Connector } from '@overcast/block-storage/contracts';
import {
  COMPUTE_AGENT_PATTERNS,
  COMPUTE_PROTOCOL_VERSION,
  COMPUTE_SERVER_TOPIC,
  type ComputeAgentReport,
  computeAgentTopic,
  type ConsoleOutput,
  type ConsoleOutputRequest,
  type FinishMigrationRequest,
  INSTANCE_NOT_FOUND,
  type InstanceOperation,
  type InstanceOutcome,
  type InstanceRequest,
  type InterfaceRequest,
  type MigrateDisksRequest,
  type PowerState,
  type RebootRequest,
  type RebuildRequest,
  type RevertMigrationRequest,
  type SnapshotRequest,
  type VolumeAttachRequest,
} from '@overcast/compute/contracts';
import { type HypervisorDriver } from '@overcast/compute/drivers';
import { type BusHandler, type BusLogger, type BusMessageMeta, type BusSubscription, loggedWork, type MessageBus } from '@overcast/shared/bus';
import { deleteImage, SerialWork } from '@overcast/shared/core';
import { type ComputeAgentSettings } from './compute-agent.config';
import { imageFetcher, migrationSinks, snapshotSink } from './image-transfer';

/** The patterns the compute service sends to an agent; the others go the other way. */
type ServedPattern = Exclude<keyof typeof COMPUTE_AGENT_PATTERNS, 'report' | 'operationDone'>;

/** A cast operation on one instance: its work on the driver, and the volume or port its outcome names. */
interface Operation {
  name: InstanceOperation;
  resourceId?: string;
  run(driver: HypervisorDriver): Promise<void>;
}

/** What the hypervisor said in the last report: what it holds, or why it cannot say. */
type HypervisorState = Pick<ComputeAgentReport, 'inventory' | 'problem' | 'instances'>;

/** A call about an instance this host does not hold; the bus carries its name to the caller. */
class InstanceNotFoundError extends Error {
  override readonly name = INSTANCE_NOT_FOUND;
}

/**
 * The compute agent of one host (Nova's nova-compute, without a database): it runs the host's
 * hypervisor driver for the compute service, which casts it operations on instances and calls it
 * for console output, and it reports the host's inventory and its guests' power states — at
 * start, after each operation and periodically. The power states are how the service syncs its
 * view with the host's (a guest that stopped by itself) and how a restarted agent's guests are
 * found again.
 *
 * As in the volume agent, a cast is acknowledged once queued and runs at most once: a build takes
 * minutes, and a redelivered one would run twice. How it ended goes back as an InstanceOutcome.
 * Operations on one instance run in the order they came; on different instances, side by side.
 */
export class ComputeAgent {
  private readonly work = new SerialWork();
  private subscription?: BusSubscription;
  private timer?: NodeJS.Timeout;
  /** Tells the service of a restart: what an earlier process was given is lost. */
  private readonly startedAt = new Date().toISOString();
  /** Why the driver could not start: the host stays unusable until the agent restarts. */
  private startProblem?: string;
  private lastState?: HypervisorState;

  constructor(
    private readonly bus: MessageBus,
    private readonly settings: ComputeAgentSettings & { host: string },
    readonly driver: HypervisorDriver,
    private readonly logger: BusLogger,
  ) {}

  /** Starts the driver (one that fails is reported unusable, with why), serves the host's topic and reports. */
  async start(): Promise<void> {
    try {
      await this.driver.start();
      this.logger.info({ driver: this.driver.driver }, `compute agent: ${this.driver.driver} hypervisor on ${this.settings.host} started`);
    } catch (error) {
      this.startProblem = errorText(error);
      this.logger.error({ driver: this.driver.driver }, `compute agent: the ${this.driver.driver} hypervisor on ${this.settings.host} is unusable until the agent restarts: ${this.startProblem}`);
    }
    this.subscription = await this.bus.serve(computeAgentTopic(this.settings.host), this.handlers(), { version: COMPUTE_PROTOCOL_VERSION });
    await this.report();
    this.timer = setInterval(() => void this.reportQuietly(), this.settings.reportIntervalSeconds * 1000);
  }

  /** What the all-in-one prints: the driver, the acceleration it uses and why, and the host. */
  describe(): string {
    const inventory = this.lastState?.inventory;
    const state = inventory ? `${inventory.virtType} (${inventory.virtTypeReason})` : `unusable: ${this.lastState?.problem ?? 'not started'}`;
    return `${this.driver.driver} on ${this.settings.host}: ${state}`;
  }

  /**
   * Stops taking work; the operations under way finish and report (nobody else would run them:
   * their messages are acknowledged), for up to the grace period: one that hangs must not keep
   * the process from stopping. The guests keep running.
   */
  async stop(): Promise<void> {
    await this.subscription?.close();
    const unfinished = await this.work.drain(this.settings.stopGraceSeconds * 1000);
    if (unfinished > 0) {
      this.logger.error({}, `compute agent: stopping with ${unfinished} operation(s) still under way after ${this.settings.stopGraceSeconds} s; their instances stay in their task state`);
    }
    clearInterval(this.timer);
    await this.driver.stop();
  }

  private handlers(): Record<string, BusHandler> {
    const cast =
      <R extends InstanceRequest>(name: InstanceOperation, run: (driver: HypervisorDriver, request: R) => Promise<void>, resourceId?: (request: R) => string) =>
      (request: R, meta: BusMessageMeta): void =>
        this.launch(request, meta, { name, resourceId: resourceId?.(request), run: (driver) => run(driver, request) });
    const handlers: Record<ServedPattern, BusHandler> = {
      build: cast('build', (driver, request) => this.build(driver, request)),
      rebuild: cast('rebuild', (driver, request: RebuildRequest) => this.rebuild(driver, request)),
      destroy: cast('destroy', (driver, { instance }) => driver.destroy(instance)),
      powerOn: cast('power-on', (driver, { instance }) => driver.powerOn(instance)),
      powerOff: cast('power-off', (driver, { instance }) => driver.powerOff(instance, this.settings.shutdownTimeoutSeconds)),
      reboot: cast('reboot', (driver, { instance, type }: RebootRequest) => driver.reboot(instance, type)),
      pause: cast('pause', (driver, { instance }) => driver.pause(instance)),
      unpause: cast('unpause', (driver, { instance }) => driver.unpause(instance)),
      suspend: cast('suspend', (driver, { instance }) => driver.suspend(instance)),
      resume: cast('resume', (driver, { instance }) => driver.resume(instance)),
      snapshot: cast('snapshot', (driver, request: SnapshotRequest) => this.snapshot(driver, request)),
      attachVolume: cast('attach-volume', (driver, { instance, blockDevice }: VolumeAttachRequest) => driver.attachVolume(instance, blockDevice), ({ blockDevice }) => blockDevice.volumeId),
      detachVolume: cast('detach-volume', (driver, { instance, blockDevice }: VolumeAttachRequest) => driver.detachVolume(instance, blockDevice), ({ blockDevice }) => blockDevice.volumeId),
      attachInterface: cast('attach-interface', (driver, { instance, vif }: InterfaceRequest) => driver.attachInterface(instance, vif), ({ vif }) => vif.portId),
      detachInterface: cast('detach-interface', (driver, { instance, vif }: InterfaceRequest) => driver.detachInterface(instance, vif), ({ vif }) => vif.portId),
      migrateDisks: cast('migrate-disks', (driver, request: MigrateDisksRequest) => driver.migrateDisks(request.instance, migrationSinks(request))),
      finishMigration: cast('finish-migration', (driver, request: FinishMigrationRequest) => driver.finishMigration(request.instance, imageFetcher(request.authToken), request.transferred, request.powerOn)),
      confirmMigration: cast('confirm-migration', (driver, { instance }) => driver.confirmMigration(instance)),
      // The destination's guest goes; what the source kept (on this host too, for a resize in place) stays for the revert.
      dropMigration: cast('drop-migration', (driver, { instance }) => driver.destroy(instance)),
      revertMigration: cast('revert-migration', (driver, { instance, powerOn }: RevertMigrationRequest) => driver.revertMigration(instance, powerOn)),
      // A call answers while the caller waits: it runs at once, beside any operation on the instance.
      consoleOutput: (request: ConsoleOutputRequest, meta: BusMessageMeta) => this.consoleOutput(request, meta),
    };
    return Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [COMPUTE_AGENT_PATTERNS[name as ServedPattern], handler]));
  }

  private async build(driver: HypervisorDriver, request: InstanceRequest): Promise<void> {
    const { instance } = request;
    // A second build of a guest the host holds must fail without the clean-up below destroying it.
    if ((await this.powerStateOf(instance.id)) !== undefined) {
      throw new Error(`instance ${instance.id} already exists on host ${this.settings.host}`);
    }
    try {
      await driver.spawn(instance, imageFetcher(request.authToken));
    } catch (error) {
      // The driver cleans up after a failed spawn; a failed build must leave nothing on the host even when it did not.
      await driver.destroy(instance).catch((cleanup: unknown) => this.logger.error({ instance_id: instance.id }, `compute agent: cleaning up after the failed build of ${instance.id} failed: ${errorText(cleanup)}`));
      throw error;
    }
  }

  /** Nova's rebuild on the same host: the guest and its local disks go, and come back from the new image with the same NICs and volumes. */
  private async rebuild(driver: HypervisorDriver, request: RebuildRequest): Promise<void> {
    await driver.destroy(request.instance);
    await this.build(driver, request);
    if (request.stopAfter === true) {
      await driver.powerOff(request.instance, 0);
    }
  }

  private async snapshot(driver: HypervisorDriver, request: SnapshotRequest): Promise<void> {
    try {
      await driver.snapshot(request.instance, snapshotSink(request));
    } catch (error) {
      // As Nova does, an image that will never get its data does not stay behind.
      await deleteImage(request.fileUrl, request.authToken);
      throw error;
    }
  }

  private async consoleOutput(request: ConsoleOutputRequest, meta: BusMessageMeta): Promise<ConsoleOutput> {
    const { instance } = request;
    // Asked first, so that the caller can tell an instance that is not here (its 404 or 409) from a hypervisor that fails.
    const held = await this.usableDriver().listInstances();
    if (!held.some(({ id }) => id === instance.id)) {
      throw new InstanceNotFoundError(`instance ${instance.id} is not on host ${this.settings.host}`);
    }
    return { output: await this.timed('console-output', request, meta, (driver) => driver.consoleOutput(instance, request.length)) };
  }

  /** Queues the operation behind those on the same instance and returns at once: the outcome reports how it ended. */
  private launch(request: InstanceRequest, meta: BusMessageMeta, operation: Operation): void {
    void this.work.run([request.instance.id], () => this.perform(request, meta, operation));
  }

  /** Runs an operation and reports its outcome and the host's new state; never rejects. */
  private async perform(request: InstanceRequest, meta: BusMessageMeta, operation: Operation): Promise<void> {
    const instanceId = request.instance.id;
    const outcome: InstanceOutcome = { operation: operation.name, instanceId, host: this.settings.host };
    if (operation.resourceId !== undefined) {
      outcome.resourceId = operation.resourceId;
    }
    try {
      await this.timed(operation.name, request, meta, operation.run);
    } catch (error) {
      outcome.error = errorText(error);
    }
    const powerState = await this.powerStateOf(instanceId).catch(() => undefined);
    if (powerState !== undefined) {
      outcome.powerState = powerState;
    }
    try {
      await this.bus.cast(COMPUTE_SERVER_TOPIC, COMPUTE_AGENT_PATTERNS.operationDone, outcome, { requestId: meta.requestId, version: COMPUTE_PROTOCOL_VERSION });
    } catch (error) {
      this.logger.error({ request_id: meta.requestId }, `compute agent: the outcome of ${operation.name} ${instanceId} could not be sent: ${errorText(error)}`);
    }
    await this.reportQuietly();
  }

  /** Runs work on the driver, logging its start, its end and how long it took; a failure's message never holds the token. */
  private timed<T>(operation: string, request: InstanceRequest, meta: BusMessageMeta, work: (driver: HypervisorDriver) => Promise<T>): Promise<T> {
    const context = { operation, instance_id: request.instance.id, request_id: meta.requestId };
    return loggedWork(this.logger, `compute agent: ${operation} ${request.instance.id}`, context, request.authToken, () => work(this.usableDriver()));
  }

  private usableDriver(): HypervisorDriver {
    if (this.startProblem !== undefined) {
      throw new Error(`the ${this.driver.driver} hypervisor of host ${this.settings.host} is unusable: ${this.startProblem}`);
    }
    return this.driver;
  }

  /** The instance's power state, undefined when the hypervisor does not hold it (or is unusable). */
  private async powerStateOf(instanceId: string): Promise<PowerState | undefined> {
    if (this.startProblem !== undefined) {
      return undefined;
    }
    return (await this.driver.listInstances()).find((instance) => instance.id === instanceId)?.powerState;
  }

  private async report(): Promise<void> {
    this.lastState = await this.hypervisorState();
    const report: ComputeAgentReport = { host: this.settings.host, startedAt: this.startedAt, ...this.lastState, connector: this.connector() };
    await this.bus.cast(COMPUTE_SERVER_TOPIC, COMPUTE_AGENT_PATTERNS.report, report, { version: COMPUTE_PROTOCOL_VERSION });
  }

  /** A report that may fail without stopping anything: the next one says it all again. */
  private async reportQuietly(): Promise<void> {
    await this.report().catch((error: unknown) => this.logger.warn(`compute agent: report failed: ${errorText(error)}`));
  }

  private async hypervisorState(): Promise<HypervisorState> {
    if (this.startProblem !== undefined) {
      return { problem: this.startProblem, instances: [] };
    }
    try {
      const [inventory, instances] = await Promise.all([this.driver.inventory(), this.driver.listInstances()]);
      // The host's address is the node's setting (Nova's my_ip), not the hypervisor's to guess.
      return { inventory: { ...inventory, hostIp: this.settings.hostIp }, instances };
    } catch (error) {
      return { problem: `the ${this.driver.driver} hypervisor cannot say what it holds: ${errorText(error)}`, instances: [] };
    }
  }

  /** What block storage is told of this host when it attaches a volume here (os-brick's connector properties). */
  private connector(): Connector {
    return { host: this.settings.host, ip: this.settings.hostIp, platform: 'x86_64', os_type: 'linux', multipath: false };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
