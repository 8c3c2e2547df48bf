import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { COMPUTE_AGENT_PATTERNS, COMPUTE_SERVER_TOPIC, type ComputeAgentReport, type InstanceOutcome, POWER_STATE } from '@overcast/compute/contracts';
import { InstanceEntity } from '@overcast/compute/data-access';
import { type BusSubscription, MessageBus } from '@overcast/shared/bus';
import { DataSource, IsNull, Not } from 'typeorm';
import { InstanceLifecycle } from '../instances/instance-lifecycle';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';

/** The server's side of the compute agents' protocol, on the `compute-server` topic: reports and operation outcomes. */
@Injectable()
export class ComputeAgents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('compute');
  private subscription?: BusSubscription;

  constructor(
    private readonly bus: MessageBus,
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly hosts: ComputeHostsService,
    private readonly lifecycle: InstanceLifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.serve(COMPUTE_SERVER_TOPIC, {
      [COMPUTE_AGENT_PATTERNS.report]: (report: ComputeAgentReport) => this.report(report),
      [COMPUTE_AGENT_PATTERNS.operationDone]: (outcome: InstanceOutcome) => this.lifecycle.apply(outcome),
    });
  }

  /**
   * Records a report, then syncs power states as Nova does: a guest that stopped (or vanished)
   * outside Overcast while no task ran on it is SHUTOFF.
   */
  private async report(report: ComputeAgentReport): Promise<void> {
    const { restarted } = await this.hosts.record(report);
    if (restarted) {
      this.logger.warn(`the compute agent on ${report.host} restarted`);
    }
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

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }
}
