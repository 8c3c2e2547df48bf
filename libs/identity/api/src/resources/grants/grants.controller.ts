import { Controller, Delete, Get, Head, HttpCode, Param, Put, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { type ActorType, RoleEntity, type TargetType } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, Repository } from 'typeorm';
import { collection } from '../../common/links';
import { presentRole } from '../roles/role.presenter';
import { type Grant, GrantService } from './grant.service';

const TARGETS: Record<string, TargetType> = { projects: 'project', domains: 'domain' };
const ACTORS: Record<string, ActorType> = { users: 'user', groups: 'group' };

function grantFrom(params: Record<string, string>): Omit<Grant, 'roleId'> {
  const targetType = params['targets'] === undefined ? 'system' : TARGETS[params['targets']];
  const actorType = ACTORS[params['actors'] ?? ''];
  if (!targetType || !actorType) {
    throw notFound('The resource could not be found.');
  }
  return { targetType, targetId: params['targetId'] ?? 'all', actorType, actorId: params['actorId'] ?? '' };
}

function policyTarget(grant: Omit<Grant, 'roleId'>, roleId?: string) {
  return { [`target.${grant.targetType}.id`]: grant.targetId, [`target.${grant.actorType}.id`]: grant.actorId, 'target.role.id': roleId };
}

/** Grants on projects, domains and the system: `/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}]` and `/v3/system/…`. */
@Controller('v3')
export class GrantsController {
  constructor(
    private readonly grants: GrantService,
    private readonly policy: PolicyService,
    @InjectRepository(RoleEntity, 'identity') private readonly roles: Repository<RoleEntity>,
  ) {}

  @Put([':targets/:targetId/:actors/:actorId/roles/:roleId', 'system/:actors/:actorId/roles/:roleId'])
  @HttpCode(204)
  async create(@CurrentAuth() auth: AuthContext, @Param() params: Record<string, string>) {
    const grant = { ...grantFrom(params), roleId: params['roleId'] ?? '' };
    this.policy.enforce('identity:create_grant', auth, policyTarget(grant, grant.roleId));
    await this.grants.grant(grant);
  }

  @Get([':targets/:targetId/:actors/:actorId/roles/:roleId', 'system/:actors/:actorId/roles/:roleId'])
  @Head([':targets/:targetId/:actors/:actorId/roles/:roleId', 'system/:actors/:actorId/roles/:roleId'])
  @HttpCode(204)
  async check(@CurrentAuth() auth: AuthContext, @Param() params: Record<string, string>) {
    const grant = { ...grantFrom(params), roleId: params['roleId'] ?? '' };
    this.policy.enforce('identity:check_grant', auth, policyTarget(grant, grant.roleId));
    await this.grants.assertExists(grant);
    if (!(await this.grants.has(grant))) {
      throw notFound(`Could not find role assignment with role: ${grant.roleId}, ${grant.actorType}: ${grant.actorId}.`);
    }
  }

  @Get([':targets/:targetId/:actors/:actorId/roles', 'system/:actors/:actorId/roles'])
  async list(@CurrentAuth() auth: AuthContext, @Param() params: Record<string, string>, @Req() request: Request) {
    const grant = grantFrom(params);
    this.policy.enforce('identity:list_grants', auth, policyTarget(grant));
    await this.grants.assertExists(grant);
    const roleIds = await this.grants.rolesOf(grant.actorType, grant.actorId, grant.targetType, grant.targetId);
    const roles = roleIds.length > 0 ? await this.roles.findBy({ id: In(roleIds) }) : [];
    return collection(request, 'roles', roles.map((role) => presentRole(request, role)));
  }

  @Delete([':targets/:targetId/:actors/:actorId/roles/:roleId', 'system/:actors/:actorId/roles/:roleId'])
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param() params: Record<string, string>) {
    const grant = { ...grantFrom(params), roleId: params['roleId'] ?? '' };
    this.policy.enforce('identity:revoke_grant', auth, policyTarget(grant, grant.roleId));
    await this.grants.revoke(grant);
  }
}
