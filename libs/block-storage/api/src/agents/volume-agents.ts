import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type OperationOutcome, VOLUME_AGENT_PATTERNS, VOLUME_SERVER_TOPIC, VOLUME_PROTOCOL_VERSION, type VolumeAgentReport } from '@overcast/block-storage/contracts';
import { type BusMessageMeta, type BusSubscription, MessageBus } from '@overcast/shared/bus';
import { BackendsService } from '../scheduler/backends.service';
import { OperationOutcomes } from './operation-outcomes';

/** How often work stranded on a silent agent is looked for. */
const ABANDONED_SWEEP_MS = 30_000;

/** The server's side of the volume agents' protocol, on the `block-storage-server` topic: capacity reports and operation outcomes. */
@Injectable()
export class VolumeAgents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('block-storage');
  private subscription?: BusSubscription;
  private sweep?: NodeJS.Timeout;

  constructor(
    private readonly bus: MessageBus,
    private readonly backends: BackendsService,
    private readonly outcomes: OperationOutcomes,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = {
      [VOLUME_AGENT_PATTERNS.report]: (report: VolumeAgentReport, meta: BusMessageMeta) => this.report(report, meta.version),
      [VOLUME_AGENT_PATTERNS.operationDone]: (outcome: OperationOutcome) => this.outcomes.apply(outcome),
    };
    this.subscription = await this.bus.serve(VOLUME_SERVER_TOPIC, handlers, { version: VOLUME_PROTOCOL_VERSION });
    this.sweep = setInterval(
      () => void this.outcomes.failAbandoned().catch((error: unknown) => this.logger.warn(`looking for work abandoned by silent agents failed: ${String(error)}`)),
      ABANDONED_SWEEP_MS,
    );
    this.sweep.unref();
  }

  /** Records a report and the protocol version it came at; a restarted agent's unfinished work is failed, saying so. */
  private async report(report: VolumeAgentReport, version: string): Promise<void> {
    const restarted = await this.backends.record(report, version);
    if (restarted.length > 0 && report.startedAt !== undefined) {
      this.logger.warn(`the volume agent on ${report.host} restarted: failing what its previous process left unfinished`);
      await this.outcomes.failWaiting(restarted, new Date(report.startedAt), `the volume agent on ${report.host} restarted before the operation ended`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.subscription?.close();
  }
}
