import {
  type BackendReport,
  type ConnectionInfo,
  type ConnectionRequest,
  type CreateVolumeRequest,
  type ExtendVolumeRequest,
  type OperationOutcome,
  type SnapshotRequest,
  type UploadToImageRequest,
  VOLUME_AGENT_PATTERNS,
  VOLUME_SERVER_TOPIC,
  type VolumeAgentReport,
  volumeAgentTopic,
  type VolumeDriverCapabilities,
  type VolumeOperation,
  type VolumeRequest,
  VOLUME_PROTOCOL_VERSION,
} from '@overcast/block-storage/contracts';
import { createVolumeDriver, type VolumeDriver } from '@overcast/block-storage/drivers';
import { type BusHandler, type BusLogger, type BusMessageMeta, type BusSubscription, loggedWork, type MessageBus } from '@overcast/shared/bus';
import { SerialWork } from '@overcast/shared/core';
import { deleteImage, imageSink, imageSource } from './image-transfer';
import { type VolumeAgentSettings, type VolumeBackendSettings } from './volume-agent.config';

/** What every request names: the backend, and maybe the requester's token (never logged). */
type BackendRequest = Pick<VolumeRequest, 'backend' | 'authToken'>;

/** A backend of this host: its started driver, or why it is unusable (then the driver, if it could be created at all). */
type Backend = { settings: VolumeBackendSettings } & ({ driver: VolumeDriver } | { problem: string; driver?: VolumeDriver });

/** A cast operation: the volume or snapshot its outcome names, every id it touches, and its work on the driver. */
interface Operation {
  name: VolumeOperation;
  id: string;
  ids: string[];
  /** What the outcome says besides how it ended. */
  outcome?: Pick<OperationOutcome, 'sizeGb'>;
  run(driver: VolumeDriver): Promise<{ cloned: boolean } | void>;
}

/** How long stopping waits for the operations under way. */
const STOP_GRACE_MS = 60_000;

/** What an unusable backend that has no driver can do. */
const NO_CAPABILITIES: VolumeDriverCapabilities = { cloneImages: false, multiattach: false, extendInUse: false };

/**
 * The volume agent of one host (Cinder's cinder-volume): it runs its backends' drivers for the
 * block-storage service, which casts it operations and calls it for connections, and it reports
 * its backends' capacity — at start, after each operation that changes it, and periodically.
 *
 * A cast is acknowledged when its handler returns, so the handlers only start the work. A create
 * from a large image takes minutes: held unacknowledged, its message would take one of the bus
 * consumer's few prefetch slots (the calls queued behind it would time out), RabbitMQ would close
 * the channel past its consumer_timeout and deliver the message again, and so would a crash — the
 * operation would run twice. So an operation runs at most once, as Cinder's casts do, and how it
 * ended goes back as an OperationOutcome; a failure is reported, never thrown back for a retry.
 */
export class VolumeAgent {
  private readonly backends = new Map<string, Backend>();
  private readonly work = new SerialWork();
  private subscription?: BusSubscription;
  private timer?: NodeJS.Timeout;
  /** Tells the server a restart: what an earlier process was given is lost. */
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly bus: MessageBus,
    private readonly settings: VolumeAgentSettings & { host: string },
    private readonly logger: BusLogger,
    private readonly createDriver: (backend: VolumeBackendSettings) => Promise<VolumeDriver> = createVolumeDriver,
  ) {}

  /** Starts every backend (one that fails is reported unusable; the others work), serves the host's topic and reports. */
  async start(): Promise<void> {
    const backends = await Promise.all(this.settings.backends.map((settings) => this.startBackend(settings)));
    for (const backend of backends) {
      this.backends.set(backend.settings.name, backend);
    }
    this.subscription = await this.bus.serve(volumeAgentTopic(this.settings.host), this.handlers(), { version: VOLUME_PROTOCOL_VERSION });
    await this.report();
    this.timer = setInterval(() => void this.reportQuietly(), this.settings.reportIntervalSeconds * 1000);
  }

  /** What the all-in-one prints: a line per backend. */
  describe(): string[] {
    return [...this.backends.values()].map((backend) => `${this.settings.host}@${backend.settings.name}: ${'problem' in backend ? `unusable: ${backend.problem}` : whereDataLives(backend.settings)}`);
  }

  /**
   * Stops taking work; the operations under way finish and report (nobody else would run them:
   * their messages are acknowledged), for up to STOP_GRACE_MS: one that hangs must not keep the
   * process from stopping.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscription?.close();
    const unfinished = await this.work.drain(STOP_GRACE_MS);
    if (unfinished > 0) {
      this.logger.error({}, `volume agent: stopping with ${unfinished} operation(s) still under way after ${STOP_GRACE_MS / 1000} s; their volumes stay in their transitional state`);
    }
  }

  private async startBackend(settings: VolumeBackendSettings): Promise<Backend> {
    const where = `${this.settings.host}@${settings.name}`;
    let driver: VolumeDriver | undefined;
    try {
      driver = await this.createDriver(settings);
      await driver.start();
      this.logger.info({ backend: settings.name, driver: settings.driver }, `volume agent: backend ${where} (${settings.driver}) started`);
      return { settings, driver };
    } catch (error) {
      const problem = errorText(error);
      this.logger.error({ backend: settings.name, driver: settings.driver }, `volume agent: backend ${where} (${settings.driver}) is unusable until the agent restarts: ${problem}`);
      return { settings, driver, problem };
    }
  }

  private handlers(): Record<string, BusHandler> {
    const patterns = VOLUME_AGENT_PATTERNS;
    return {
      [patterns.createVolume]: (request: CreateVolumeRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, {
          name: 'volume.create',
          id: request.volume.id,
          ids: [request.volume.id, ...sourceIds(request)],
          run: (driver) => this.createVolume(driver, request),
        }),
      [patterns.deleteVolume]: (request: VolumeRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, { name: 'volume.delete', id: request.volume.id, ids: [request.volume.id], run: (driver) => driver.deleteVolume(request.volume) }),
      [patterns.extendVolume]: (request: ExtendVolumeRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, {
          name: 'volume.extend',
          id: request.volume.id,
          ids: [request.volume.id],
          // The server learns the size it asked for either way: on failure it gives back the room it claimed.
          outcome: { sizeGb: request.newSizeGb },
          run: (driver) => driver.extendVolume(request.volume, request.newSizeGb),
        }),
      [patterns.uploadToImage]: (request: UploadToImageRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, {
          name: 'volume.upload-image',
          id: request.volume.id,
          ids: [request.volume.id],
          run: (driver) => driver.copyVolumeToImage(request.volume, imageSink(request)).catch(async (error: unknown) => {
            // As Cinder does, an image that will never get its data does not stay behind.
            await deleteImage(request);
            throw error;
          }),
        }),
      [patterns.createSnapshot]: (request: SnapshotRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, { name: 'snapshot.create', id: request.snapshot.id, ids: [request.snapshot.id, request.snapshot.volumeId], run: (driver) => driver.createSnapshot(request.snapshot) }),
      [patterns.deleteSnapshot]: (request: SnapshotRequest, meta: BusMessageMeta) =>
        this.launch(request, meta, { name: 'snapshot.delete', id: request.snapshot.id, ids: [request.snapshot.id, request.snapshot.volumeId], run: (driver) => driver.deleteSnapshot(request.snapshot) }),
      // Calls answer while the caller waits: they run at once, beside any operation on the volume.
      [patterns.initializeConnection]: (request: ConnectionRequest, meta: BusMessageMeta): Promise<ConnectionInfo> =>
        this.timed('connection.initialize', request.volume.id, request, meta, (driver) => driver.initializeConnection(request.volume, request.connector)),
      [patterns.terminateConnection]: (request: ConnectionRequest, meta: BusMessageMeta): Promise<void> =>
        this.timed('connection.terminate', request.volume.id, request, meta, (driver) => driver.terminateConnection(request.volume, request.connector)),
    };
  }

  private async createVolume(driver: VolumeDriver, request: CreateVolumeRequest): Promise<{ cloned: boolean } | void> {
    const { volume, source } = request;
    switch (source.kind) {
      case 'blank':
        return driver.createVolume(volume);
      case 'snapshot':
        return driver.createVolumeFromSnapshot(volume, source.snapshot);
      case 'volume':
        return driver.createClonedVolume(volume, source.volume);
      case 'image':
        return driver.createVolumeFromImage(volume, imageSource(source.image, request.authToken));
    }
  }

  /** Queues the operation behind those on the same ids and returns at once: the outcome reports how it ended. */
  private launch(request: BackendRequest, meta: BusMessageMeta, operation: Operation): void {
    void this.work.run(operation.ids, () => this.perform(request, meta, operation));
  }

  /** Runs an operation and reports its outcome (and the capacity it changed); never rejects. */
  private async perform(request: BackendRequest, meta: BusMessageMeta, operation: Operation): Promise<void> {
    const outcome: OperationOutcome = { operation: operation.name, id: operation.id, host: this.settings.host, backend: request.backend, ...operation.outcome };
    try {
      const result = await this.timed(operation.name, operation.id, request, meta, operation.run);
      if (result) {
        outcome.cloned = result.cloned;
      }
    } catch (error) {
      outcome.error = errorText(error);
    }
    try {
      await this.bus.cast(VOLUME_SERVER_TOPIC, VOLUME_AGENT_PATTERNS.operationDone, outcome, { requestId: meta.requestId });
    } catch (error) {
      this.logger.error({ request_id: meta.requestId }, `volume agent: the outcome of ${operation.name} ${operation.id} could not be sent: ${errorText(error)}`);
    }
    // An upload leaves the backend's capacity as it was; the other operations change it.
    if (operation.name !== 'volume.upload-image') {
      await this.reportQuietly();
    }
  }

  /** Runs work on the request's backend, logging its start, its end and how long it took; a failure's message never holds the token. */
  private timed<T>(operation: string, id: string, request: BackendRequest, meta: BusMessageMeta, work: (driver: VolumeDriver) => Promise<T>): Promise<T> {
    const context = { operation, id, backend: request.backend, request_id: meta.requestId };
    return loggedWork(this.logger, `volume agent: ${operation} ${id} on ${request.backend}`, context, request.authToken, () => work(this.driverFor(request.backend)));
  }

  private driverFor(name: string): VolumeDriver {
    const backend = this.backends.get(name);
    if (backend === undefined) {
      throw new Error(`host ${this.settings.host} has no volume backend "${name}" (it has ${[...this.backends.keys()].join(', ')})`);
    }
    if ('problem' in backend) {
      throw new Error(`volume backend ${this.settings.host}@${name} is unusable: ${backend.problem}`);
    }
    return backend.driver;
  }

  private async report(): Promise<void> {
    const report: VolumeAgentReport = {
      host: this.settings.host,
      backends: await Promise.all([...this.backends.values()].map((backend) => backendReport(backend))),
      startedAt: this.startedAt,
    };
    await this.bus.cast(VOLUME_SERVER_TOPIC, VOLUME_AGENT_PATTERNS.report, report, { version: VOLUME_PROTOCOL_VERSION });
  }

  /** A report that may fail without stopping anything: the next one says it all again. */
  private async reportQuietly(): Promise<void> {
    await this.report().catch((error: unknown) => this.logger.warn(`volume agent: report failed: ${errorText(error)}`));
  }
}

async function backendReport(backend: Backend): Promise<BackendReport> {
  const { settings, driver } = backend;
  const report: BackendReport = {
    name: settings.name,
    volumeBackendName: settings.volumeBackendName,
    driver: settings.driver,
    storageProtocol: driver?.storageProtocol ?? 'unknown',
    availabilityZone: settings.availabilityZone,
    capabilities: driver?.capabilities ?? NO_CAPABILITIES,
  };
  if ('problem' in backend) {
    return { ...report, problem: backend.problem };
  }
  try {
    return { ...report, capacity: await backend.driver.capacity() };
  } catch (error) {
    return { ...report, problem: `its capacity is unknown: ${errorText(error)}` };
  }
}

/** The volume or snapshot a new volume is made from: it must not change while it is read. */
function sourceIds({ source }: CreateVolumeRequest): string[] {
  switch (source.kind) {
    case 'snapshot':
      return [source.snapshot.id];
    case 'volume':
      return [source.volume.id];
    case 'blank':
    case 'image':
      return [];
  }
}

function whereDataLives(settings: VolumeBackendSettings): string {
  switch (settings.driver) {
    case 'file':
      return `${settings.format} files in ${settings.directory}`;
    case 'rbd':
      return `Ceph pool ${settings.pool}`;
    case 'fake':
      return 'fake: nothing is stored';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
