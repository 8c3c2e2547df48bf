import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ComputeAgentReport } from '@overcast/compute/contracts';
import { ComputeNodeEntity } from '@overcast/compute/data-access';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';

/** The compute hosts as their agents report them (Nova's host manager and service records). */
@Injectable()
export class ComputeHostsService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  /** Records a report; answers whether it comes from a new process of a host already known (its earlier work is lost). */
  async record(report: ComputeAgentReport, busVersion: string): Promise<{ node: ComputeNodeEntity; restarted: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const existing = await manager.findOne(ComputeNodeEntity, { where: { host: report.host }, lock: { mode: 'pessimistic_write' } });
      const startedAt = new Date(report.startedAt);
      const node = await manager.save(ComputeNodeEntity, {
        id: existing?.id ?? randomUUID(),
        host: report.host,
        availabilityZone: existing?.availabilityZone ?? this.settings.defaultAvailabilityZone,
        inventory: report.inventory ?? null,
        problem: report.problem ?? null,
        disabled: existing?.disabled ?? false,
        disabledReason: existing?.disabledReason ?? null,
        forcedDown: existing?.forcedDown ?? false,
        reportedAt: new Date(),
        agentStartedAt: startedAt,
        busVersion,
        createdAt: existing?.createdAt ?? new Date(),
      });
      return { node, restarted: existing !== null && existing.agentStartedAt.getTime() !== startedAt.getTime() };
    });
  }

  /** Whether the host's agent is alive: it reported lately and no operator forced it down. */
  isUp(node: ComputeNodeEntity, now = Date.now()): boolean {
    return !node.forcedDown && now - node.reportedAt.getTime() <= this.settings.hostDownSeconds * 1000;
  }

  async findByHost(host: string): Promise<ComputeNodeEntity | null> {
    return this.dataSource.manager.findOneBy(ComputeNodeEntity, { host });
  }
}
