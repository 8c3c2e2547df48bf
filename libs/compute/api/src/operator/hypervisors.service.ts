import { Injectable } from '@nestjs/common';
import { type ComputeNodeEntity } from '@overcast/compute/data-access';
import { notFound, OpenStackError } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { ComputeNodesRepository, NO_LOAD } from './compute-nodes.repository';
import { isUuid } from './nova-format';
import { type Hypervisor, hypervisorDetail, hypervisorStatistics, hypervisorSummary } from './hypervisor-view';

const RULE = 'os_compute_api:os-hypervisors';

const hypervisorNotFound = (id: string) => notFound(`Hypervisor with ID '${id}' could not be found.`);

/**
 * `os-hypervisors` at 2.1: each compute host's hypervisor, its size and what its instances take.
 * Ids are the hosts' UUIDs (Nova's integer ids ended at 2.53; tempest's schema takes either).
 */
@Injectable()
export class HypervisorsService {
  constructor(
    private readonly nodes: ComputeNodesRepository,
    private readonly hosts: ComputeHostsService,
  ) {}

  async list(caller: Caller, detail: boolean): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:${detail ? 'list-detail' : 'list'}`);
    const hypervisors = await this.hypervisors(await this.nodes.all());
    return { hypervisors: hypervisors.map(detail ? hypervisorDetail : hypervisorSummary) };
  }

  async show(caller: Caller, id: string): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:show`);
    const [hypervisor] = await this.hypervisors([await this.node(id)]);
    return { hypervisor: hypervisorDetail(hypervisor as Hypervisor) };
  }

  /**
   * `GET /os-hypervisors/{id}/uptime`: the agents do not report their host's uptime, so this answers
   * as Nova does for a driver that cannot tell (501), which clients such as `openstack hypervisor show` expect.
   */
  async uptime(caller: Caller, id: string): Promise<never> {
    caller.enforce(`${RULE}:uptime`);
    await this.node(id);
    throw new OpenStackError('notImplemented', 'The requested functionality is not supported.');
  }

  async statistics(caller: Caller): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:statistics`);
    return { hypervisor_statistics: hypervisorStatistics(await this.hypervisors(await this.nodes.all())) };
  }

  /** `/{pattern}/search`: the hypervisors whose hostname contains the pattern; none is a 404. */
  async search(caller: Caller, pattern: string): Promise<Record<string, unknown>> {
    // Nova's own `search` rule has the same default (admin).
    caller.enforce(`${RULE}:list`);
    return { hypervisors: (await this.matching(pattern)).map(hypervisorSummary) };
  }

  /** `/{pattern}/servers`: the same, each with the servers it runs (`servers` only when it runs some, as at 2.1). */
  async servers(caller: Caller, pattern: string): Promise<Record<string, unknown>> {
    // Nova's own `servers` rule has the same default (admin).
    caller.enforce(`${RULE}:list`);
    const hypervisors = await this.matching(pattern);
    return {
      hypervisors: await Promise.all(
        hypervisors.map(async (hypervisor) => {
          const instances = await this.nodes.instancesOn(hypervisor.node.host);
          // `name` is the instance's name on its hypervisor, as the servers' `OS-EXT-SRV-ATTR:instance_name`.
          const servers = instances.map((instance) => ({ name: `instance-${instance.id}`, uuid: instance.id }));
          return { ...hypervisorSummary(hypervisor), ...(servers.length > 0 ? { servers } : {}) };
        }),
      ),
    };
  }

  /** The compute node a hypervisor id names, or Nova's 404. */
  private async node(id: string): Promise<ComputeNodeEntity> {
    const node = isUuid(id) ? await this.nodes.find(id) : null;
    if (node === null) {
      throw hypervisorNotFound(id);
    }
    return node;
  }

  private async matching(pattern: string): Promise<Hypervisor[]> {
    const nodes = await this.nodes.searchByHypervisorHostname(pattern);
    if (nodes.length === 0) {
      throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    }
    return this.hypervisors(nodes);
  }

  private async hypervisors(nodes: ComputeNodeEntity[]): Promise<Hypervisor[]> {
    const loads = await this.nodes.loads();
    const now = Date.now();
    return nodes.map((node) => ({ node, up: this.hosts.isUp(node, now), load: loads.get(node.id) ?? NO_LOAD }));
  }
}
