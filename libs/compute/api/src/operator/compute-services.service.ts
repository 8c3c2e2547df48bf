import { Injectable } from '@nestjs/common';
import { type ComputeNodeEntity } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { queryText } from '../common/nova-list';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { ComputeNodesRepository } from './compute-nodes.repository';
import { isUuid, novaTime } from './nova-format';
import { type ServiceUpdate, serviceUpdateBody } from './service-input';

const RULE = 'os_compute_api:os-services';
const COMPUTE_BINARY = 'nova-compute';

/**
 * `os-services` before 2.53: the compute hosts' agents as `nova-compute` services, which an operator
 * disables (the scheduler then skips the host), forces down (from 2.11: the host reads as down
 * whatever its agent reports, as when fencing it) and removes. The controller's work runs inside the
 * API process, which has no heartbeat of its own, so no `nova-conductor` or `nova-scheduler` rows
 * are listed. A service's id is its host's UUID, as its hypervisor's is.
 */
@Injectable()
export class ComputeServicesService {
  constructor(
    private readonly nodes: ComputeNodesRepository,
    private readonly hosts: ComputeHostsService,
  ) {}

  /** Filtered by `host` and `binary`, as Nova's index. */
  async list(caller: Caller, version: ApiVersion, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:list`);
    const host = queryText(query, 'host');
    const binary = queryText(query, 'binary');
    // Only compute services are listed: another binary matches none.
    const nodes = binary && binary !== COMPUTE_BINARY ? [] : await this.nodes.all();
    const now = Date.now();
    return { services: nodes.filter((node) => !host || node.host === host).map((node) => this.view(node, version, now)) };
  }

  /** `enable`, `disable`, `disable-log-reason` or (from 2.11) `force-down` a host's compute service, named by host and binary in the body. */
  async update(caller: Caller, version: ApiVersion, action: string, body: unknown): Promise<Record<string, unknown>> {
    const update = serviceUpdateBody(body, version);
    caller.enforce(`${RULE}:update`);
    if (action === 'force-down' && version.atLeast('2.11')) {
      return this.forceDown(update);
    }
    if (action !== 'enable' && action !== 'disable' && action !== 'disable-log-reason') {
      throw notFound('Unknown action');
    }
    if (action === 'disable-log-reason' && update.disabled_reason === undefined) {
      throw badRequest('Missing disabled reason field');
    }
    const node = await this.computeService(update);
    // A plain `disable` records no reason, as Nova's.
    const reason = action === 'disable-log-reason' ? (update.disabled_reason ?? null) : null;
    const disabled = action !== 'enable';
    await this.nodes.setDisabled(node.id, disabled, reason);
    return { service: { host: update.host, binary: update.binary, status: disabled ? 'disabled' : 'enabled', ...(reason === null ? {} : { disabled_reason: reason }) } };
  }

  private async forceDown(update: ServiceUpdate): Promise<Record<string, unknown>> {
    if (update.forced_down === undefined) {
      throw badRequest('Missing forced_down field');
    }
    const node = await this.computeService(update);
    await this.nodes.setForcedDown(node.id, update.forced_down);
    return { service: { host: update.host, binary: update.binary, forced_down: update.forced_down } };
  }

  /** The host whose compute service an update names; only nova-compute services can be updated, as in Nova. */
  private async computeService(update: ServiceUpdate): Promise<ComputeNodeEntity> {
    if (update.binary !== COMPUTE_BINARY) {
      throw badRequest(`Updating a ${update.binary} service is not supported. Only nova-compute services can be updated.`);
    }
    const node = await this.hosts.findByHost(update.host);
    if (node === null) {
      throw notFound(`Could not find binary ${update.binary} on host ${update.host}.`);
    }
    return node;
  }

  /** Removes a host that runs no instances; its agent, if still running, registers it again with its next report (as a restarted nova-compute does). */
  async delete(caller: Caller, id: string): Promise<void> {
    caller.enforce(`${RULE}:delete`);
    if (!isUuid(id)) {
      throw badRequest(`Invalid uuid ${id}`);
    }
    if ((await this.nodes.find(id)) === null) {
      throw notFound(`Service ${id} not found.`);
    }
    if ((await this.nodes.deleteIfEmpty(id)) === 'hosting instances') {
      throw conflict('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
    }
  }

  private view(node: ComputeNodeEntity, version: ApiVersion, now: number): Record<string, unknown> {
    return {
      binary: COMPUTE_BINARY,
      host: node.host,
      id: node.id,
      zone: node.availabilityZone,
      status: node.disabled ? 'disabled' : 'enabled',
      state: this.hosts.isUp(node, now) ? 'up' : 'down',
      updated_at: novaTime(node.reportedAt),
      disabled_reason: node.disabledReason,
      ...(version.atLeast('2.11') ? { forced_down: node.forcedDown } : {}),
    };
  }
}
