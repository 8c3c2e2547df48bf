import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { COMPUTE_AGENT_PATTERNS, COMPUTE_PROTOCOL_VERSION, COMPUTE_SERVER_TOPIC, type ComputeAgentReport, type InstanceOutcome, POWER_STATE } from '@overcast/compute/contracts';
import { ComputeNodeEntity, InstanceEntity } from '@overcast/compute/data-access';
import { type BusMessageMeta, type BusSubscription, MessageBus } from '@overcast/shared/bus';
import { DataSource, In, IsNull, Not } from 'typeorm';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { InstanceLifecycle } from '../instances/instance-lifecycle';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';

/** The server's side of the compute agents' protocol, on the `compute-server` topic: reports and operation outcomes. */
@Injectable()
export class ComputeAgents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('compute');
  private subscription?: BusSubscription;
  private sweep?: NodeJS.Timeout;

  constructor(
    private readonly bus: MessageBus,
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly hosts: ComputeHostsService,
    private readonly lifecycle: InstanceLifecycle,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = {
      [COMPUTE_AGENT_PATTERNS.report]: (report: ComputeAgentReport, meta: BusMessageMeta) => this.report(report, meta.version),
      [COMPUTE_AGENT_PATTERNS.operationDone]: (outcome: InstanceOutcome) => this.lifecycle.apply(outcome),
    };
    this.subscription = await this.bus.serve(COMPUTE_SERVER_TOPIC, handlers, { version: COMPUTE_PROTOCOL_VERSION });
    this.sweep = setInterval(
      () => void this.failWorkOfDownHosts().catch((error: unknown) => this.logger.warn(`looking for work stranded on down hosts failed: ${String(error)}`)),
      this.settings.strandedSweepSeconds * 1000,
    );
    this.sweep.unref();
  }

  /** Work handed to a host that then went down will not end by itself. */
  private async failWorkOfDownHosts(): Promise<void> {
    for (const node of await this.dataSource.manager.find(ComputeNodeEntity)) {
      if (!this.hosts.isUp(node)) {
        await this.lifecycle.failStranded(node.host, `the compute agent on ${node.host} stopped reporting (last at ${node.reportedAt.toISOString()})`);
      }
    }
  }

  /**
   * Records a report and the protocol version it came at, then syncs power states as Nova does: a
   * guest that stopped (or vanished) outside Overcast while no task ran on it is SHUTOFF.
   */
  private async report(report: ComputeAgentReport, busVersion: string): Promise<void> {
    const { restarted } = await this.hosts.record(report, busVersion);
    if (restarted) {
      this.logger.warn(`the compute agent on ${report.host} restarted: failing what its previous process left unfinished`);
      await this.lifecycle.failStranded(report.host, `the compute agent on ${report.host} restarted before the operation ended`, new Date(report.startedAt));
    }
    if (report.inventory === undefined) {
      // A hypervisor that cannot say what it holds lists nothing: that is not "the guests are gone".
      return;
    }
    await this.reapStrays(report);
    const powerStates = new Map(report.instances.map((instance) => [instance.id, instance.powerState]));
    const onHost = await this.dataSource.manager.findBy(InstanceEntity, { host: report.host, deletedAt: IsNull(), taskState: IsNull(), vmState: Not('error') });
    for (const instance of onHost) {
      const powerState = powerStates.get(instance.id) ?? POWER_STATE.NOSTATE;
      if (powerState === instance.powerState) {
        continue;
      }
      const stoppedOutside = instance.vmState === 'active' && (powerState === POWER_STATE.SHUTDOWN || powerState === POWER_STATE.CRASHED || powerState === POWER_STATE.NOSTATE);
      await this.dataSource.manager.update(
        InstanceEntity,
        { id: instance.id, taskState: IsNull() },
        stoppedOutside ? { powerState, vmState: 'stopped', updatedAt: new Date() } : { powerState, updatedAt: new Date() },
      );
    }
  }

  /**
   * Guests the host holds that the service has deleted, or placed on another host with no task
   * under way there: left behind by work the host's agent lost (killed in the middle of a build or
   * a delete, its build retried elsewhere). They are destroyed, as Nova reaps running deleted
   * instances. Guests of instances this service does not know are left alone: hosts may share a
   * hypervisor with other clouds' (or tests') guests.
   */
  private async reapStrays(report: ComputeAgentReport): Promise<void> {
    const held = report.instances.map((instance) => instance.id);
    if (held.length === 0) {
      return;
    }
    const known = await this.dataSource.manager.findBy(InstanceEntity, { id: In(held) });
    for (const instance of known) {
      const stray = instance.deletedAt !== null || (instance.host !== report.host && instance.taskState === null);
      if (stray) {
        this.logger.warn(`instance ${instance.id} is on ${report.host}, where the service has ${instance.deletedAt !== null ? 'deleted it' : `it on ${instance.host ?? 'no host'}`}: destroying it there`);
        await this.lifecycle.reap(report.host, instance);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.subscription?.close();
  }
}
