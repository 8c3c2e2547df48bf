import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { parseInput, unauthorized } from '@overcast/shared/core';
import { AssignmentEntity, DomainEntity, GroupEntity, GroupMemberEntity, ProjectEntity, UserEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, Repository } from 'typeorm';
import { z } from 'zod';
import { CollectionService } from '../../common/collection.service';
import { defaultDomainId } from '../../common/default-domain';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { collection } from '../../common/links';
import { findOr404, saveUnique } from '../../common/persistence';
import { nameSchema, queryFlag } from '../../common/schemas';
import { hashSecret, verifySecret } from '../../common/secret-hasher';
import { RevocationService } from '../../revocations/revocation.service';
import { GrantService } from '../grants/grant.service';
import { presentGroup } from '../groups/group.presenter';
import { presentProject } from '../projects/project.presenter';
import { presentUser } from './user.presenter';

const password = z.string().min(1).max(4096);
const userFields = z
  .object({
    name: nameSchema,
    domain_id: z.string().min(1).max(64),
    password: password.nullable(),
    enabled: z.boolean(),
    default_project_id: z.string().min(1).max(64).nullable(),
    options: z.record(z.string(), z.unknown()),
  })
  .partial()
  // Anything else (email, description…) is kept as an extra attribute.
  .catchall(z.unknown());
const createSchema = z.object({ user: userFields.required({ name: true }) });
const updateSchema = z.object({ user: userFields.omit({ domain_id: true }) });
const changePasswordSchema = z.object({ user: z.object({ password, original_password: password }) });

const KNOWN_FIELDS = new Set(['id', 'name', 'domain_id', 'password', 'enabled', 'default_project_id', 'options', 'links', 'password_expires_at']);
function extraFields(user: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(user).filter(([key]) => !KNOWN_FIELDS.has(key)));
}

@Controller('v3/users')
export class UsersController {
  constructor(
    @InjectRepository(UserEntity, 'identity') private readonly users: Repository<UserEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    @InjectRepository(ProjectEntity, 'identity') private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(GroupEntity, 'identity') private readonly groups: Repository<GroupEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly revocations: RevocationService,
    private readonly grants: GrantService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    const { user } = parseInput(createSchema, body);
    const domainId = user.domain_id ?? defaultDomainId(auth);
    this.policy.enforce('identity:create_user', auth, { 'target.user.domain_id': domainId });
    await findOr404(this.domains, 'domain', domainId);
    const row = this.users.create({
      id: newId(),
      name: user.name,
      domainId,
      enabled: user.enabled ?? true,
      defaultProjectId: user.default_project_id ?? null,
      passwordHash: user.password ? await hashSecret(user.password) : null,
      options: user.options ?? {},
      extra: extraFields(user),
    });
    return { user: presentUser(request, await saveUnique(this.users, row, 'user', user.name)) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_users', auth, { 'target.domain_id': query['domain_id'] });
    const where = { name: query['name'], domainId: query['domain_id'], enabled: queryFlag(query['enabled']) };
    return this.collections.page(request, 'users', this.users, where, (row) => presentUser(request, row));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_user', auth, { 'target.user.id': id });
    return { user: presentUser(request, await findOr404(this.users, 'user', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_user', auth, { 'target.user.id': id });
    const { user } = parseInput(updateSchema, body);
    const row = await findOr404(this.users, 'user', id);
    const disabling = row.enabled && user.enabled === false;
    const passwordChanged = user.password !== undefined;
    if (user.name !== undefined) {row.name = user.name;}
    if (user.enabled !== undefined) {row.enabled = user.enabled;}
    if (user.default_project_id !== undefined) {row.defaultProjectId = user.default_project_id;}
    if (user.options !== undefined) {row.options = { ...row.options, ...user.options };}
    if (passwordChanged) {row.passwordHash = user.password ? await hashSecret(user.password) : null;}
    row.extra = { ...row.extra, ...extraFields(user) };
    const saved = await saveUnique(this.users, row, 'user', row.name);
    if (disabling || passwordChanged) {
      await this.revocations.revoke({ user_id: id });
    }
    return { user: presentUser(request, saved) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_user', auth, { 'target.user.id': id });
    await findOr404(this.users, 'user', id);
    await this.grants.deleteUser(id);
  }

  /** A user's own password change; the original password must be right. */
  @Post(':id/password')
  @HttpCode(204)
  async changePassword(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
    this.policy.enforce('identity:change_password', auth, { 'target.user.id': id });
    const { user } = parseInput(changePasswordSchema, body);
    const row = await findOr404(this.users, 'user', id);
    if (!(await verifySecret(row.passwordHash, user.original_password))) {
      throw unauthorized('The original password is not correct.');
    }
    row.passwordHash = await hashSecret(user.password);
    await this.users.save(row);
    await this.revocations.revoke({ user_id: id });
  }

  @Get(':id/projects')
  async listProjects(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:list_user_projects', auth, { 'target.user.id': id });
    await findOr404(this.users, 'user', id);
    const groupIds = (await this.members.findBy({ userId: id })).map((member) => member.groupId);
    const grants = await this.assignments.find({
      where: [{ actorType: 'user', actorId: id, targetType: 'project' }, ...(groupIds.length > 0 ? [{ actorType: 'group' as const, actorId: In(groupIds), targetType: 'project' as const }] : [])],
    });
    const ids = [...new Set(grants.map((grant) => grant.targetId))];
    const rows = ids.length > 0 ? await this.projects.find({ where: { id: In(ids) }, order: { name: 'ASC' } }) : [];
    return collection(request, 'projects', rows.map((row) => presentProject(request, row)));
  }

  @Get(':id/groups')
  async listGroups(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:list_groups_for_user', auth, { 'target.user.id': id });
    await findOr404(this.users, 'user', id);
    const groupIds = (await this.members.findBy({ userId: id })).map((member) => member.groupId);
    const rows = groupIds.length > 0 ? await this.groups.find({ where: { id: In(groupIds) }, order: { name: 'ASC' } }) : [];
    return collection(request, 'groups', rows.map((row) => presentGroup(request, row)));
  }
}
