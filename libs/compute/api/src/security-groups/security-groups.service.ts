import { Injectable } from '@nestjs/common';
import { notFound, parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { NetworkClient, type NeutronSecurityGroup } from '../clients/network-client';
import { type Caller } from '../common/caller';
import { queryText } from '../common/nova-list';
import { ServersService } from '../servers/servers.service';
import { type GroupsById, securityGroupView } from './security-group-view';

/** Nova's `validate_property`: a string of at most 255 characters, empty allowed (Neutron allows it). */
const property = (field: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `Security group ${field} is a required property` : `Security group ${field} must be a string`) }).max(255, `Security group ${field} is longer than 255 characters`);
const groupBody = z.object({ security_group: z.object({ name: property('name'), description: property('description') }) }, { error: "'security_group' is a required property" });

const securityGroupNotFound = (id: string) => notFound(`Security group ${id} not found.`);

/**
 * Nova's `os-security-groups` (deprecated at 2.36, still what 2.1 clients use): a proxy to the
 * network service's security groups, called with the requester's token so Neutron's visibility
 * and rules apply; a group in use cannot be deleted (Neutron's 409, Nova's 400).
 */
@Injectable()
export class SecurityGroupsService {
  constructor(
    private readonly network: NetworkClient,
    private readonly servers: ServersService,
  ) {}

  /** The project's groups (every project's for an admin asking `all_tenants`), sorted by project and name as Nova does. */
  async list(caller: Caller, query: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    caller.enforce('os_compute_api:os-security-groups:get');
    const allTenants = queryText(query, 'all_tenants') !== undefined && caller.isAdmin;
    const groups = await this.network.securityGroups(caller.auth.rawToken, new URLSearchParams(allTenants ? {} : { project_id: caller.projectId }));
    return (await this.views(caller, groups)).sort((a, b) => `${String(a['tenant_id'])}\u0000${String(a['name'])}`.localeCompare(`${String(b['tenant_id'])}\u0000${String(b['name'])}`));
  }

  async show(caller: Caller, id: string): Promise<Record<string, unknown>> {
    caller.enforce('os_compute_api:os-security-groups:show');
    return this.view(caller, await this.find(caller, id));
  }

  async create(caller: Caller, body: unknown): Promise<Record<string, unknown>> {
    caller.enforce('os_compute_api:os-security-groups:create');
    const group = await this.network.saveSecurityGroup(caller.auth.rawToken, undefined, parseGroup(body));
    return this.view(caller, group);
  }

  async update(caller: Caller, id: string, body: unknown): Promise<Record<string, unknown>> {
    caller.enforce('os_compute_api:os-security-groups:update');
    const input = parseGroup(body);
    return this.view(caller, await this.network.saveSecurityGroup(caller.auth.rawToken, (await this.find(caller, id)).id, input), id);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    caller.enforce('os_compute_api:os-security-groups:delete');
    if (!(await this.network.deleteSecurityGroup(caller.auth.rawToken, (await this.find(caller, id)).id))) {
      throw securityGroupNotFound(id);
    }
  }

  /** `GET /servers/{id}/os-security-groups`: the groups of the server's ports. */
  async ofServer(caller: Caller, serverId: string): Promise<Record<string, unknown>[]> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce('os_compute_api:os-security-groups:list', { project_id: instance.projectId });
    const token = caller.auth.rawToken;
    const ids = [...new Set((await this.network.portsOfDevice(token, instance.id)).flatMap((port) => port.security_groups ?? []))];
    if (ids.length === 0) {
      return [];
    }
    const query = byIds(ids);
    return this.views(caller, await this.network.securityGroups(token, query));
  }

  private async find(caller: Caller, id: string): Promise<NeutronSecurityGroup> {
    const group = await this.network.securityGroup(caller.auth.rawToken, id);
    if (group === undefined) {
      throw securityGroupNotFound(id);
    }
    return group;
  }

  /** One group's view; none (Neutron's 404: deleted meanwhile) is Nova's 404. */
  private async view(caller: Caller, group: NeutronSecurityGroup | undefined, id = ''): Promise<Record<string, unknown>> {
    const [view] = group === undefined ? [] : await this.views(caller, [group]);
    if (view === undefined) {
      throw securityGroupNotFound(id);
    }
    return view;
  }

  /** The groups' views, naming the groups their rules point at (those the requester can see). */
  private async views(caller: Caller, groups: NeutronSecurityGroup[]): Promise<Record<string, unknown>[]> {
    const known: GroupsById = new Map(groups.map((group) => [group.id, group]));
    const missing = [...new Set(groups.flatMap((group) => group.security_group_rules.flatMap((rule) => (rule.remote_group_id !== null && !known.has(rule.remote_group_id) ? [rule.remote_group_id] : []))))];
    if (missing.length > 0) {
      for (const group of await this.network.securityGroups(caller.auth.rawToken, byIds(missing))) {
        known.set(group.id, group);
      }
    }
    return groups.map((group) => securityGroupView(group, known));
  }
}

/** Neutron's filter on several ids: `id` repeated. */
function byIds(ids: string[]): URLSearchParams {
  return new URLSearchParams(ids.map((id): [string, string] => ['id', id]));
}

function parseGroup(body: unknown): { name: string; description: string } {
  return parseInput(groupBody, body).security_group;
}
