import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { COMPUTE_AGENT_PATTERNS } from '@overcast/compute/contracts';
import { BlockDeviceMappingEntity, InstanceEntity, type InstancePort, type VmState } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { DataSource } from 'typeorm';
import { AgentCommands } from '../agents/agent-commands';
import { NetworkClient, type NeutronPort } from '../clients/network-client';
import { type Caller } from '../common/caller';
import { InstanceActionsService } from '../instances/instance-actions.service';
import { InstanceLifecycle } from '../instances/instance-lifecycle';
import { bindInstancePort } from '../instances/port-binding';
import { instanceSpec } from '../instances/instance-spec';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { ServersService } from '../servers/servers.service';
import { interfaceAttachBody, type InterfaceRequest } from './interface-input';

const RULES = {
  list: 'os_compute_api:os-attach-interfaces:list',
  show: 'os_compute_api:os-attach-interfaces:show',
  create: 'os_compute_api:os-attach-interfaces:create',
  delete: 'os_compute_api:os-attach-interfaces:delete',
};

/** The vm_states a NIC may be hot-plugged or unplugged in (Nova's `check_instance_state`). */
const PLUGGABLE: VmState[] = ['active', 'paused', 'stopped'];

const portNotFound = (portId: string) => notFound(`Port id ${portId} could not be found.`);

/** Nova's interfaceAttachment: the port as the network service has it. */
function attachmentView(port: NeutronPort): Record<string, unknown> {
  return {
    net_id: port.network_id,
    port_id: port.id,
    mac_addr: port.mac_address,
    port_state: port.status,
    fixed_ips: port.fixed_ips.map((fixedIp) => ({ subnet_id: fixedIp.subnet_id, ip_address: fixedIp.ip_address })),
  };
}

/**
 * A server's NICs (`/servers/{id}/os-interface`): hot-plugging a port made on a network or brought
 * by the user, as the build does (the instance's lifecycle makes, binds and gives back ports), and
 * unplugging it. The host does the plugging and reports; the instance's lifecycle records how it ended.
 */
@Injectable()
export class InterfacesService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly servers: ServersService,
    private readonly network: NetworkClient,
    private readonly hosts: ComputeHostsService,
    private readonly lifecycle: InstanceLifecycle,
    private readonly agents: AgentCommands,
    private readonly actions: InstanceActionsService,
  ) {}

  async list(caller: Caller, serverId: string): Promise<Record<string, unknown>[]> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(RULES.list, { project_id: instance.projectId });
    const ports = await Promise.all(instance.ports.map((port) => this.network.port(port.portId)));
    return ports.filter((port) => port !== undefined).map(attachmentView);
  }

  async show(caller: Caller, serverId: string, portId: string): Promise<Record<string, unknown>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(RULES.show, { project_id: instance.projectId });
    if (!instance.ports.some((port) => port.portId === portId)) {
      throw notFound(`Instance ${serverId} does not have a port with id ${portId}`);
    }
    const port = await this.network.port(portId);
    if (!port) {
      throw portNotFound(portId);
    }
    return attachmentView(port);
  }

  /**
   * `POST`: makes or takes the port, binds it to the server's host and records it on the server
   * before the host plugs it, so that deleting the server meanwhile releases it too; a host that
   * fails to plug it has it given back (InstanceLifecycle). Nova answers the port at once.
   */
  async attach(caller: Caller, serverId: string, body: unknown): Promise<Record<string, unknown>> {
    const request = interfaceAttachBody(body);
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(RULES.create, { project_id: instance.projectId });
    const host = this.pluggableHost(caller, instance, 'attach_interface');
    const taken = await this.takePort(caller, instance, request);
    const preserveOnDelete = request.kind === 'port';
    let bound: NeutronPort;
    let recorded: InstanceEntity;
    try {
      const port = await this.lifecycle.portRecord(caller.auth.rawToken, taken, preserveOnDelete);
      const node = await this.hosts.findByHost(host);
      bound = await bindInstancePort(this.network, instance.id, port, host, node?.inventory?.hypervisorType === 'fake');
      recorded = await this.recordPort(caller, instance.id, port);
    } catch (error) {
      await this.lifecycle.releasePort(instance.id, { portId: taken.id, preserveOnDelete });
      throw error;
    }
    await this.castToHost(recorded, taken.id, COMPUTE_AGENT_PATTERNS.attachInterface).catch(async (error: unknown) => {
      await this.lifecycle.removePort(instance.id, taken.id);
      throw error;
    });
    return attachmentView(bound);
  }

  /** `DELETE /{port_id}`: 202; the host unplugs it, then the port is deleted if the server made it, unbound if the user brought it. */
  async detach(caller: Caller, serverId: string, portId: string): Promise<void> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce(RULES.delete, { project_id: instance.projectId });
    this.pluggableHost(caller, instance, 'detach_interface');
    if (!instance.ports.some((port) => port.portId === portId)) {
      throw portNotFound(portId);
    }
    await this.dataSource.transaction((manager) => this.actions.record(manager, instance, 'detach_interface', caller.userId));
    await this.castToHost(instance, portId, COMPUTE_AGENT_PATTERNS.detachInterface);
  }

  /** The host of a server whose NICs may change now: unlocked (for its owner), settled in a state Nova allows, with no task running. */
  private pluggableHost(caller: Caller, instance: InstanceEntity, action: string): string {
    if (instance.locked && !caller.isAdmin) {
      throw conflict(`Instance ${instance.id} is locked`);
    }
    if (instance.taskState !== null) {
      throw conflict(`Cannot '${action}' instance ${instance.id} while it is in task_state ${instance.taskState}`);
    }
    if (!PLUGGABLE.includes(instance.vmState) || instance.host === null) {
      throw conflict(`Cannot '${action}' instance ${instance.id} while it is in vm_state ${instance.vmState}`);
    }
    return instance.host;
  }

  /** The user's free port, or a new one on the network asked for (or the project's only one), made with the user's token as the build does. */
  private async takePort(caller: Caller, instance: InstanceEntity, request: InterfaceRequest): Promise<NeutronPort> {
    const token = caller.auth.rawToken;
    if (request.kind === 'port') {
      const port = await this.network.portOf(token, request.portId);
      if (!port) {
        throw portNotFound(request.portId);
      }
      if (port.device_id !== '') {
        throw conflict(`Port ${request.portId} is still in use.`);
      }
      return port;
    }
    const networkId = request.networkId ?? (await this.onlyNetwork(token, caller.projectId));
    if (!(await this.network.network(token, networkId))) {
      throw notFound(`Network ${networkId} could not be found.`);
    }
    return this.network.createPort(token, instance.id, { networkId, fixedIp: request.fixedIp });
  }

  private async onlyNetwork(token: string, projectId: string): Promise<string> {
    const networks = await this.network.networksOf(token, projectId);
    if (networks.length === 0) {
      throw badRequest(`No specific network was requested and none are available for project '${projectId}'.`);
    }
    if (networks.length > 1) {
      throw badRequest('More than one possible network found. Specify network ID(s) to select which one(s) to connect to.');
    }
    return (networks[0] as { id: string }).id;
  }

  /** Adds the bound port to the server under its row lock, if the server is still in a state to take it, with the request's action. */
  private async recordPort(caller: Caller, instanceId: string, port: InstancePort): Promise<InstanceEntity> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(InstanceEntity, { where: { id: instanceId }, lock: { mode: 'pessimistic_write' } });
      if (!current || current.deletedAt !== null) {
        throw conflict(`Instance ${instanceId} is being deleted.`);
      }
      this.pluggableHost(caller, current, 'attach_interface');
      current.ports = [...current.ports, port];
      await manager.update(InstanceEntity, { id: instanceId }, { ports: current.ports, updatedAt: new Date() });
      await this.actions.record(manager, current, 'attach_interface', caller.userId);
      return current;
    });
  }

  /** Hands the plug or unplug of one of the server's ports to its host. */
  private async castToHost(instance: InstanceEntity, portId: string, pattern: string): Promise<void> {
    const volumes = await this.dataSource.manager.findBy(BlockDeviceMappingEntity, { instanceId: instance.id });
    const spec = instanceSpec(instance, volumes);
    await this.agents.cast(instance.host as string, pattern, { instance: spec, vif: spec.vifs.find((vif) => vif.portId === portId) });
  }
}
