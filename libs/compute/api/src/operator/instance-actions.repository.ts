import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstanceActionEntity, InstanceActionEventEntity } from '@overcast/compute/data-access';
import { DataSource } from 'typeorm';

/** The actions recorded on instances and their events, newest first as Nova lists them. */
@Injectable()
export class InstanceActionsRepository {
  constructor(@InjectDataSource('compute') private readonly dataSource: DataSource) {}

  actionsOf(instanceId: string): Promise<InstanceActionEntity[]> {
    return this.dataSource.manager.find(InstanceActionEntity, { where: { instanceId }, order: { startTime: 'DESC', id: 'DESC' } });
  }

  byRequestId(instanceId: string, requestId: string): Promise<InstanceActionEntity | null> {
    return this.dataSource.manager.findOne(InstanceActionEntity, { where: { instanceId, requestId }, order: { startTime: 'DESC', id: 'DESC' } });
  }

  eventsOf(actionId: string): Promise<InstanceActionEventEntity[]> {
    return this.dataSource.manager.find(InstanceActionEventEntity, { where: { actionId }, order: { startTime: 'DESC', id: 'DESC' } });
  }
}
