import { Body, Controller, Delete, Get, Head, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound, parseInput } from '@overcast/shared/core';
import { DomainEntity, GroupEntity, GroupMemberEntity, UserEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, Repository } from 'typeorm';
import { z } from 'zod';
import { CollectionService } from '../../common/collection.service';
import { defaultDomainId } from '../../common/default-domain';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { collection } from '../../common/links';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema } from '../../common/schemas';
import { RevocationService } from '../../revocations/revocation.service';
import { GrantService } from '../grants/grant.service';
import { presentUser } from '../users/user.presenter';
import { presentGroup } from './group.presenter';

const groupName = z.string().trim().min(1).max(64);
const createSchema = z.object({ group: z.object({ name: groupName, domain_id: z.string().min(1).max(64).optional(), description: descriptionSchema.optional() }) });
const updateSchema = z.object({ group: z.object({ name: groupName, description: descriptionSchema }).partial() });

@Controller('v3/groups')
export class GroupsController {
  constructor(
    @InjectRepository(GroupEntity, 'identity') private readonly groups: Repository<GroupEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    @InjectRepository(UserEntity, 'identity') private readonly users: Repository<UserEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly revocations: RevocationService,
    private readonly grants: GrantService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    const { group } = parseInput(createSchema, body);
    const domainId = group.domain_id ?? defaultDomainId(auth);
    this.policy.enforce('identity:create_group', auth, { 'target.group.domain_id': domainId });
    await findOr404(this.domains, 'domain', domainId);
    const row = this.groups.create({ id: newId(), name: group.name, domainId, description: group.description ?? null });
    return { group: presentGroup(request, await saveUnique(this.groups, row, 'group', group.name)) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_groups', auth);
    return this.collections.page(request, 'groups', this.groups, { name: query['name'], domainId: query['domain_id'] }, (row) => presentGroup(request, row));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_group', auth, { 'target.group.id': id });
    return { group: presentGroup(request, await findOr404(this.groups, 'group', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_group', auth, { 'target.group.id': id });
    const { group } = parseInput(updateSchema, body);
    const row = Object.assign(await findOr404(this.groups, 'group', id), group);
    return { group: presentGroup(request, await saveUnique(this.groups, row, 'group', row.name)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_group', auth, { 'target.group.id': id });
    await findOr404(this.groups, 'group', id);
    await this.grants.deleteGroup(id);
  }

  @Get(':id/users')
  async listMembers(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:list_users_in_group', auth, { 'target.group.id': id });
    await findOr404(this.groups, 'group', id);
    const userIds = (await this.members.findBy({ groupId: id })).map((member) => member.userId);
    const rows = userIds.length > 0 ? await this.users.find({ where: { id: In(userIds) }, order: { name: 'ASC' } }) : [];
    return collection(request, 'users', rows.map((row) => presentUser(request, row)));
  }

  @Put(':id/users/:userId')
  @HttpCode(204)
  async addMember(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Param('userId') userId: string) {
    this.policy.enforce('identity:add_user_to_group', auth, { 'target.group.id': id, 'target.user.id': userId });
    await findOr404(this.groups, 'group', id);
    await findOr404(this.users, 'user', userId);
    await this.members.upsert({ groupId: id, userId }, ['groupId', 'userId']);
  }

  @Get(':id/users/:userId')
  @Head(':id/users/:userId')
  @HttpCode(204)
  async checkMember(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Param('userId') userId: string) {
    this.policy.enforce('identity:check_user_in_group', auth, { 'target.group.id': id, 'target.user.id': userId });
    await findOr404(this.groups, 'group', id);
    await findOr404(this.users, 'user', userId);
    if (!(await this.members.existsBy({ groupId: id, userId }))) {
      throw notFound(`User ${userId} is not a member of group ${id}.`);
    }
  }

  @Delete(':id/users/:userId')
  @HttpCode(204)
  async removeMember(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Param('userId') userId: string) {
    this.policy.enforce('identity:remove_user_from_group', auth, { 'target.group.id': id, 'target.user.id': userId });
    const result = await this.members.delete({ groupId: id, userId });
    if (!result.affected) {
      throw notFound(`User ${userId} is not a member of group ${id}.`);
    }
    // The roles the group gave are gone with the membership.
    await this.revocations.revoke({ user_id: userId });
  }
}
