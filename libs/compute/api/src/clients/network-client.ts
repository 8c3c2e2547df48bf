import { Inject, Injectable } from '@nestjs/common';
import { ServiceToken } from '@overcast/shared/auth';
import { badRequest, conflict, errorMessageOf, OpenStackError, ServiceClient, type ServiceResponse } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';

/** The fields of a Neutron network this service reads. */
export interface NeutronNetwork {
  id: string;
  name: string;
  project_id: string;
  shared: boolean;
  'router:external': boolean;
  mtu?: number;
}

/** The fields of a Neutron port this service reads. */
export interface NeutronPort {
  id: string;
  network_id: string;
  project_id: string;
  mac_address: string;
  device_id: string;
  device_owner: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
  security_groups?: string[];
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  status: string;
}

/** A Neutron security group, with its rules. */
export interface NeutronSecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: NeutronSecurityGroupRule[];
}

export interface NeutronSecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

/** What a server asks of a port it gets: on a network (with a fixed IP), in its security groups. */
export interface PortRequest {
  networkId: string;
  fixedIp?: string;
  securityGroupIds?: string[];
}

/**
 * The network service's REST API. Ports are made with the requester's token, so they are the
 * project's and Neutron's rules apply; binding them to a host, and removing them, is compute's
 * own business, done with its service token (Neutron's `service_api`).
 */
@Injectable()
export class NetworkClient {
  private readonly client: ServiceClient;

  constructor(
    @Inject(COMPUTE_SETTINGS) settings: ComputeSettings,
    private readonly serviceToken: ServiceToken,
  ) {
    this.client = new ServiceClient('network', settings.networkUrl);
  }

  /** The network if the requester may use it. */
  async network(token: string, id: string): Promise<NeutronNetwork | undefined> {
    const response = await this.client.request('GET', `/v2.0/networks/${encodeURIComponent(id)}`, { token });
    return response.status === 404 ? undefined : this.expect<{ network: NeutronNetwork }>(response, 'read the network').network;
  }

  /** The networks a server of the project lands on when it names none: the project's own, and the shared ones (not external). */
  async networksOf(token: string, projectId: string): Promise<NeutronNetwork[]> {
    const response = await this.client.request('GET', '/v2.0/networks', { token });
    const networks = this.expect<{ networks: NeutronNetwork[] }>(response, 'list the networks').networks;
    return networks.filter((network) => !network['router:external'] && (network.project_id === projectId || network.shared));
  }

  async port(id: string): Promise<NeutronPort | undefined> {
    const response = await this.client.request('GET', `/v2.0/ports/${encodeURIComponent(id)}`, { token: await this.serviceToken.get() });
    return response.status === 404 ? undefined : this.expect<{ port: NeutronPort }>(response, 'read the port').port;
  }

  /** The requester's port, or undefined when they may not see it. */
  async portOf(token: string, id: string): Promise<NeutronPort | undefined> {
    const response = await this.client.request('GET', `/v2.0/ports/${encodeURIComponent(id)}`, { token });
    return response.status === 404 ? undefined : this.expect<{ port: NeutronPort }>(response, 'read the port').port;
  }

  /** A new port of the requester's project for the instance; Neutron's refusals (address taken, none left) become Nova's. */
  async createPort(token: string, instanceId: string, request: PortRequest): Promise<NeutronPort> {
    const port: Record<string, unknown> = { network_id: request.networkId, device_id: instanceId, device_owner: 'compute:nova' };
    if (request.fixedIp !== undefined) {
      port['fixed_ips'] = [{ ip_address: request.fixedIp }];
    }
    if (request.securityGroupIds !== undefined) {
      port['security_groups'] = request.securityGroupIds;
    }
    const response = await this.client.request('POST', '/v2.0/ports', { token, body: { port } });
    if (response.status === 409) {
      throw conflict(`Could not create a port on network ${request.networkId}: ${errorMessageOf(response.body)}`);
    }
    if (response.status === 400) {
      throw badRequest(`Could not create a port on network ${request.networkId}: ${errorMessageOf(response.body)}`);
    }
    return this.expect<{ port: NeutronPort }>(response, 'create a port').port;
  }

  /** Binds the port to the host the instance runs on; the host's network agent then wires it. */
  async bindPort(portId: string, instanceId: string, host: string): Promise<NeutronPort> {
    const body = { port: { 'binding:host_id': host, device_id: instanceId, device_owner: 'compute:nova' } };
    const response = await this.client.request('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, { token: await this.serviceToken.get(), body });
    return this.expect<{ port: NeutronPort }>(response, `bind port ${portId}`).port;
  }

  /** Leaves a port the user brought as it was before the instance took it. */
  async unbindPort(portId: string): Promise<void> {
    const body = { port: { 'binding:host_id': '', device_id: '', device_owner: '' } };
    const response = await this.client.request('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, { token: await this.serviceToken.get(), body });
    if (response.status !== 404) {
      this.expect(response, `unbind port ${portId}`);
    }
  }

  /** Removes a port the instance was given; one already gone is fine. */
  async deletePort(portId: string): Promise<void> {
    const response = await this.client.request('DELETE', `/v2.0/ports/${encodeURIComponent(portId)}`, { token: await this.serviceToken.get() });
    if (response.status !== 404) {
      this.expect(response, `delete port ${portId}`);
    }
  }

  /** Adds a security group to the requester's port, or takes it off. */
  async changeSecurityGroup(token: string, portId: string, groupId: string, add: boolean): Promise<void> {
    const port = await this.portOf(token, portId);
    if (!port) {
      return;
    }
    const current = port.security_groups ?? [];
    const groups = add ? [...new Set([...current, groupId])] : current.filter((id) => id !== groupId);
    const response = await this.client.request('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, { token, body: { port: { security_groups: groups } } });
    if (response.status === 400 || response.status === 409) {
      throw conflict(`Could not change the security groups of port ${portId}: ${errorMessageOf(response.body)}`);
    }
    this.expect(response, `change the security groups of port ${portId}`);
  }

  /** The ids of the project's security groups of these names (or ids), as Nova resolves them; an unknown one is a 400. */
  async securityGroupIds(token: string, projectId: string, names: string[]): Promise<string[]> {
    const response = await this.client.request('GET', `/v2.0/security-groups?project_id=${encodeURIComponent(projectId)}`, { token });
    const groups = this.expect<{ security_groups: { id: string; name: string }[] }>(response, 'list the security groups').security_groups;
    return names.map((name) => {
      const matching = groups.filter((group) => group.id === name || group.name === name);
      if (matching.length === 0) {
        throw badRequest(`Security group ${name} not found for project ${projectId}.`);
      }
      if (matching.length > 1) {
        throw conflict(`Multiple security groups named ${name} exist in project ${projectId}: use its id.`);
      }
      return matching[0]?.id ?? name;
    });
  }

  /** The security groups the requester sees, filtered by Neutron's query (`project_id`, `id`). */
  async securityGroups(token: string, query: URLSearchParams): Promise<NeutronSecurityGroup[]> {
    const response = await this.client.request('GET', `/v2.0/security-groups?${query.toString()}`, { token });
    return this.expect<{ security_groups: NeutronSecurityGroup[] }>(response, 'list the security groups').security_groups;
  }

  /** The security group if the requester sees it. */
  async securityGroup(token: string, id: string): Promise<NeutronSecurityGroup | undefined> {
    const response = await this.client.request('GET', `/v2.0/security-groups/${encodeURIComponent(id)}`, { token });
    return response.status === 404 ? undefined : this.expect<{ security_group: NeutronSecurityGroup }>(response, 'read the security group').security_group;
  }

  /** Creates (no `id`) or updates a security group of the requester's project; Neutron's 400 (or 409: over quota) is the requester's 400. */
  async saveSecurityGroup(token: string, id: string | undefined, group: { name: string; description: string }): Promise<NeutronSecurityGroup | undefined> {
    const response = await this.client.request(id === undefined ? 'POST' : 'PUT', `/v2.0/security-groups${id === undefined ? '' : `/${encodeURIComponent(id)}`}`, { token, body: { security_group: group } });
    if (response.status === 404) {
      return undefined;
    }
    if (response.status === 400 || response.status === 409) {
      throw badRequest(errorMessageOf(response.body));
    }
    return this.expect<{ security_group: NeutronSecurityGroup }>(response, 'save the security group').security_group;
  }

  /** Deletes a security group; false when the requester sees none of this id. One in use (Neutron's 409) is Nova's 400. */
  async deleteSecurityGroup(token: string, id: string): Promise<boolean> {
    const response = await this.client.request('DELETE', `/v2.0/security-groups/${encodeURIComponent(id)}`, { token });
    if (response.status === 404) {
      return false;
    }
    if (response.status === 409 || response.status === 400) {
      throw badRequest(errorMessageOf(response.body));
    }
    this.expect(response, 'delete the security group');
    return true;
  }

  /** The ports of a server, as the requester sees them. */
  async portsOfDevice(token: string, deviceId: string): Promise<NeutronPort[]> {
    const response = await this.client.request('GET', `/v2.0/ports?device_id=${encodeURIComponent(deviceId)}`, { token });
    return this.expect<{ ports: NeutronPort[] }>(response, 'list the ports').ports;
  }

  private expect<T>(response: ServiceResponse, what: string): T {
    if (response.status < 200 || response.status >= 300) {
      throw new OpenStackError('serviceUnavailable', `Could not ${what}: the network service answered ${response.status} (${errorMessageOf(response.body)}).`);
    }
    return response.body as T;
  }
}
