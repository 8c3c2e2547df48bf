import { Inject, Injectable } from '@nestjs/common';
import { type ServerGroupEntity } from '@overcast/compute/data-access';
import { badRequest, forbidden, notFound } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { queryText } from '../common/nova-list';
import { QuotasService } from '../quotas/quotas.service';
import { serverGroupCreateBody } from './server-group-input';
import { ServerGroupsRepository } from './server-groups.repository';

const RULE = 'os_compute_api:os-server-groups';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const groupNotFound = (id: string) => notFound(`Instance group ${id} could not be found.`);

/** A whole number ≥ 0 from the query, as Nova's query schema takes `limit` and `offset`; anything else is its 400. */
function queryCount(query: Record<string, unknown>, name: string): number | undefined {
  const text = queryText(query, name);
  if (text !== undefined && !/^[0-9]+$/.test(text)) {
    throw badRequest(`Invalid input for query parameters ${name}. Value: ${text}. '${text}' does not match '^[0-9]*$'`);
  }
  return text === undefined ? undefined : Number(text);
}

/** Server groups (`os-server-groups`): the policy the scheduler places a project's servers by, and who its members are. */
@Injectable()
export class ServerGroupsService {
  constructor(
    private readonly groups: ServerGroupsRepository,
    private readonly quotas: QuotasService,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  /** `GET /os-server-groups`: the project's groups, every project's for an admin asking `all_projects`; `offset` and `limit` page them. */
  async list(caller: Caller, version: ApiVersion, query: Record<string, unknown>): Promise<Record<string, unknown>> {
    caller.enforce(`${RULE}:index`);
    // As Nova, a member asking for all projects gets their own.
    const allProjects = query['all_projects'] !== undefined && caller.isAdmin;
    const limit = Math.min(queryCount(query, 'limit') || this.settings.maxPageSize, this.settings.maxPageSize);
    const groups = await this.groups.list(allProjects ? undefined : caller.projectId, queryCount(query, 'offset') ?? 0, limit);
    const members = await this.groups.liveMembers(groups.map((group) => group.id));
    return { server_groups: groups.map((group) => this.view(group, members.get(group.id) ?? [], version)) };
  }

  async show(caller: Caller, version: ApiVersion, id: string): Promise<Record<string, unknown>> {
    const group = await this.visible(caller, id);
    caller.enforce(`${RULE}:show`, { project_id: group.projectId });
    const members = await this.groups.liveMembers([group.id]);
    return this.view(group, members.get(group.id) ?? [], version);
  }

  /** `POST /os-server-groups`: a group of the caller's project, within its `server_groups` quota. */
  async create(caller: Caller, version: ApiVersion, body: unknown): Promise<Record<string, unknown>> {
    const input = serverGroupCreateBody(body, version);
    caller.enforce(`${RULE}:create`);
    const group = { id: randomUUID(), ...input, projectId: caller.projectId, userId: caller.userId };
    const limit = async (manager: EntityManager) => (await this.quotas.limits(caller.projectId, manager)).server_groups;
    if ((await this.groups.insertWithinQuota(group, limit)) === 'over quota') {
      throw forbidden('Quota exceeded, too many server groups.');
    }
    return this.view({ ...group, createdAt: new Date() }, [], version);
  }

  /** `DELETE /os-server-groups/{id}`: the group goes, its servers stay. */
  async delete(caller: Caller, id: string): Promise<void> {
    const group = await this.visible(caller, id);
    caller.enforce(`${RULE}:delete`, { project_id: group.projectId });
    await this.groups.delete(group.id);
  }

  /** The group if the caller's project owns it (or the caller is an admin); other projects' are not found, as their servers are. */
  private async visible(caller: Caller, id: string): Promise<ServerGroupEntity> {
    const group = UUID.test(id) ? await this.groups.find(id) : null;
    if (!group || !caller.sees(group)) {
      throw groupNotFound(id);
    }
    return group;
  }

  /** Nova's view: `policies` and an always-empty `metadata` until 2.64, `policy` and `rules` from it; the owner from 2.13. */
  private view(group: ServerGroupEntity, members: string[], version: ApiVersion): Record<string, unknown> {
    return {
      id: group.id,
      name: group.name,
      ...(version.atLeast('2.64') ? { policy: group.policy, rules: group.rules } : { policies: [group.policy], metadata: {} }),
      members,
      ...(version.atLeast('2.13') ? { project_id: group.projectId, user_id: group.userId } : {}),
    };
  }
}
