import { Injectable } from '@nestjs/common';
import { type InstanceActionEntity, type InstanceActionEventEntity } from '@overcast/compute/data-access';
import { notFound } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { ServersService } from '../servers/servers.service';
import { InstanceActionsRepository } from './instance-actions.repository';
import { novaTime } from './nova-format';

const LIST_RULE = 'os_compute_api:os-instance-actions:list';
const SHOW_RULE = 'os_compute_api:os-instance-actions:show';
const EVENTS_RULE = 'os_compute_api:os-instance-actions:events:details';

/**
 * `os-instance-actions` at 2.1: what was asked of a live server the caller sees, and how each
 * step went. The steps are an admin's (with their tracebacks) until 2.51, where members get them
 * without tracebacks. A failed action's message is Nova's plain `Error`: why it failed is in
 * its events' tracebacks, which only admins see.
 */
@Injectable()
export class ServerInstanceActionsService {
  constructor(
    private readonly servers: ServersService,
    private readonly actions: InstanceActionsRepository,
  ) {}

  async list(caller: Caller, serverId: string): Promise<Record<string, unknown>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(LIST_RULE, { project_id: instance.projectId });
    return { instanceActions: (await this.actions.actionsOf(instance.id)).map(actionView) };
  }

  async show(caller: Caller, version: ApiVersion, serverId: string, requestId: string): Promise<Record<string, unknown>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(SHOW_RULE, { project_id: instance.projectId });
    const action = await this.actions.byRequestId(instance.id, requestId);
    if (action === null) {
      throw notFound(`Action ${requestId} not found`);
    }
    const withTracebacks = caller.allows(EVENTS_RULE, { project_id: instance.projectId });
    if (!withTracebacks && !version.atLeast('2.51')) {
      return { instanceAction: actionView(action) };
    }
    const events = (await this.actions.eventsOf(action.id)).map((event) => eventView(event, withTracebacks));
    return { instanceAction: { ...actionView(action), events } };
  }
}

function actionView(action: InstanceActionEntity): Record<string, unknown> {
  return {
    action: action.action,
    instance_uuid: action.instanceId,
    request_id: action.requestId,
    user_id: action.userId,
    project_id: action.projectId,
    start_time: novaTime(action.startTime),
    message: action.message === null ? null : 'Error',
  };
}

function eventView(event: InstanceActionEventEntity, withTraceback: boolean): Record<string, unknown> {
  return {
    event: event.event,
    start_time: novaTime(event.startTime),
    finish_time: event.finishTime === null ? null : novaTime(event.finishTime),
    result: event.result,
    ...(withTraceback ? { traceback: event.traceback } : {}),
  };
}
