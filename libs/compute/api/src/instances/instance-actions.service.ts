import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstanceActionEntity, InstanceActionEventEntity } from '@overcast/compute/data-access';
import { currentRequestId } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';

/** The record of what was asked of a server and how each step went (os-instance-actions). */
@Injectable()
export class InstanceActionsService {
  constructor(@InjectDataSource('compute') private readonly dataSource: DataSource) {}

  /** Records a request on an instance, in the caller's transaction; answers the action's id. */
  async record(manager: EntityManager, instance: { id: string; projectId: string }, action: string, userId: string): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    await manager.insert(InstanceActionEntity, {
      id,
      instanceId: instance.id,
      action,
      requestId: currentRequestId() ?? `req-${randomUUID()}`,
      userId,
      projectId: instance.projectId,
      message: null,
      startTime: now,
      updatedAt: now,
    });
    return id;
  }

  /** A step of the latest `action` on the instance, finished: `Success`, or `Error` with why. */
  async event(instanceId: string, action: string, event: string, host: string | null, startTime: Date, error?: string): Promise<void> {
    const latest = await this.dataSource.manager.findOne(InstanceActionEntity, { where: { instanceId, action }, order: { startTime: 'DESC' } });
    if (!latest) {
      return;
    }
    await this.dataSource.manager.insert(InstanceActionEventEntity, {
      id: randomUUID(),
      actionId: latest.id,
      event,
      startTime,
      finishTime: new Date(),
      result: error === undefined ? 'Success' : 'Error',
      traceback: error ?? null,
      host,
    });
    if (error !== undefined) {
      await this.dataSource.manager.update(InstanceActionEntity, { id: latest.id }, { message: error, updatedAt: new Date() });
    }
  }
}
