import { Controller, Get, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { AssignmentEntity, DomainEntity, GroupEntity, GroupMemberEntity, ProjectEntity, RoleEntity, UserEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, Repository } from 'typeorm';
import { Filters } from '../../common/filters';
import { collection, v3Url } from '../../common/links';
import { queryFlag } from '../../common/schemas';
import { RoleResolver } from '../../roles/role-resolver.service';

interface Row {
  actorType: 'user' | 'group';
  actorId: string;
  targetType: 'project' | 'domain' | 'system';
  targetId: string;
  roleId: string;
  /** Set for an effective assignment a group membership produced. */
  viaGroupId?: string;
}

/** Filters that name two actors or two targets at once, which Keystone refuses. */
const EXCLUSIVE_FILTERS = [
  ['scope.domain.id', 'scope.project.id', 'Specify a domain or project, not both'],
  ['scope.domain.id', 'scope.system', 'Specify system or domain, not both'],
  ['scope.project.id', 'scope.system', 'Specify system or project, not both'],
  ['user.id', 'group.id', 'Specify a user or group, not both'],
] as const;

/** `GET /v3/role_assignments` with Keystone's filters, `effective` and `include_names`. */
@Controller('v3/role_assignments')
export class RoleAssignmentsController {
  constructor(
    private readonly policy: PolicyService,
    private readonly resolver: RoleResolver,
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    @InjectRepository(RoleEntity, 'identity') private readonly roles: Repository<RoleEntity>,
    @InjectRepository(UserEntity, 'identity') private readonly users: Repository<UserEntity>,
    @InjectRepository(GroupEntity, 'identity') private readonly groups: Repository<GroupEntity>,
    @InjectRepository(ProjectEntity, 'identity') private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_role_assignments', auth);
    const effective = 'effective' in query && queryFlag(query['effective'] || 'true') === true;
    for (const [one, other, message] of EXCLUSIVE_FILTERS) {
      if (query[one] && query[other]) {
        throw badRequest(message);
      }
    }
    if (effective && query['group.id']) {
      throw badRequest('Combining effective and group filter will always result in an empty list.');
    }
    const target = query['scope.project.id'] !== undefined ? { targetType: 'project' as const, targetId: query['scope.project.id'] } : query['scope.domain.id'] !== undefined ? { targetType: 'domain' as const, targetId: query['scope.domain.id'] } : 'scope.system' in query ? { targetType: 'system' as const } : {};

    let rows: Row[] = (await this.assignments.findBy(target)).map((row) => ({ ...row }));
    if (effective) {
      rows = await this.expand(rows);
    }
    const userId = query['user.id'];
    const groupId = query['group.id'];
    const roleId = query['role.id'];
    rows = rows.filter(
      (row) =>
        (userId === undefined || (row.actorType === 'user' && row.actorId === userId)) &&
        (groupId === undefined || (row.actorType === 'group' && row.actorId === groupId)) &&
        (roleId === undefined || row.roleId === roleId),
    );
    const names = 'include_names' in query && queryFlag(query['include_names'] || 'true') === true ? await this.names(rows) : undefined;
    return collection(request, 'role_assignments', rows.map((row) => this.present(request, row, names)));
  }

  /** Effective view: group grants become one per member, and implied roles appear as their own rows. */
  private async expand(rows: Row[]): Promise<Row[]> {
    const expanded: Row[] = [];
    for (const row of rows) {
      const actors: Row[] = row.actorType === 'group' ? (await this.members.findBy({ groupId: row.actorId })).map((member) => ({ ...row, actorType: 'user', actorId: member.userId, viaGroupId: row.actorId })) : [row];
      const roleIds = await this.resolver.withImplied(new Set([row.roleId]));
      for (const actor of actors) {
        for (const id of roleIds) {
          expanded.push({ ...actor, roleId: id });
        }
      }
    }
    const seen = new Set<string>();
    return expanded.filter((row) => {
      const key = `${row.actorId}/${row.targetType}/${row.targetId}/${row.roleId}/${row.viaGroupId ?? ''}`;
      return !seen.has(key) && seen.add(key) !== undefined;
    });
  }

  private async names(rows: Row[]) {
    const ids = (predicate: (row: Row) => boolean, pick: (row: Row) => string) => [...new Set(rows.filter(predicate).map(pick))];
    const [roles, users, groups, projects, domains] = await Promise.all([
      this.roles.findBy({ id: In(ids(() => true, (row) => row.roleId)) }),
      this.users.findBy({ id: In(ids((row) => row.actorType === 'user', (row) => row.actorId)) }),
      this.groups.findBy({ id: In(ids((row) => row.actorType === 'group', (row) => row.actorId)) }),
      this.projects.findBy({ id: In(ids((row) => row.targetType === 'project', (row) => row.targetId)) }),
      this.domains.find(),
    ]);
    const domainRef = (id: string) => ({ id, name: domains.find((domain) => domain.id === id)?.name });
    return {
      role: new Map(roles.map((role) => [role.id, { name: role.name }])),
      user: new Map(users.map((user) => [user.id, { name: user.name, domain: domainRef(user.domainId) }])),
      group: new Map(groups.map((group) => [group.id, { name: group.name, domain: domainRef(group.domainId) }])),
      project: new Map(projects.map((project) => [project.id, { name: project.name, domain: domainRef(project.domainId) }])),
      domain: new Map(domains.map((domain) => [domain.id, { name: domain.name }])),
    };
  }

  private present(request: Request, row: Row, names?: Awaited<ReturnType<RoleAssignmentsController['names']>>) {
    const scope = row.targetType === 'system' ? { system: { all: true } } : { [row.targetType]: { id: row.targetId, ...names?.[row.targetType].get(row.targetId) } };
    const targetPath = row.targetType === 'system' ? 'system' : `${row.targetType}s/${row.targetId}`;
    const actorId = row.viaGroupId ?? row.actorId;
    const actorPath = row.viaGroupId ? 'groups' : `${row.actorType}s`;
    const links: Record<string, string> = { assignment: `${v3Url(request)}/${targetPath}/${actorPath}/${actorId}/roles/${row.roleId}` };
    if (row.viaGroupId) {
      links['membership'] = `${v3Url(request)}/groups/${row.viaGroupId}/users/${row.actorId}`;
    }
    return {
      role: { id: row.roleId, ...names?.role.get(row.roleId) },
      [row.actorType]: { id: row.actorId, ...names?.[row.actorType].get(row.actorId) },
      scope,
      links,
    };
  }
}
