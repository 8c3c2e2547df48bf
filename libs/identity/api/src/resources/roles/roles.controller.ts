import { Body, Controller, Delete, Get, Head, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound, parseInput } from '@overcast/shared/core';
import { DomainEntity, ImpliedRoleEntity, RoleEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, IsNull, Repository } from 'typeorm';
import { z } from 'zod';
import { CollectionService } from '../../common/collection.service';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema, nameSchema } from '../../common/schemas';
import { GrantService } from '../grants/grant.service';
import { presentRole, presentRoleRef } from './role.presenter';

const createSchema = z.object({
  role: z.object({ name: nameSchema, domain_id: z.string().min(1).max(64).nullable().optional(), description: descriptionSchema.optional(), options: z.record(z.string(), z.unknown()).optional() }),
});
const updateSchema = z.object({ role: z.object({ name: nameSchema, description: descriptionSchema, options: z.record(z.string(), z.unknown()) }).partial() });

@Controller('v3')
export class RolesController {
  constructor(
    @InjectRepository(RoleEntity, 'identity') private readonly roles: Repository<RoleEntity>,
    @InjectRepository(ImpliedRoleEntity, 'identity') private readonly implications: Repository<ImpliedRoleEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly grants: GrantService,
  ) {}

  @Post('roles')
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_role', auth);
    const { role } = parseInput(createSchema, body);
    if (role.domain_id) {
      await findOr404(this.domains, 'domain', role.domain_id);
    }
    const row = this.roles.create({ id: newId(), name: role.name, domainId: role.domain_id ?? null, description: role.description ?? null, options: role.options ?? {} });
    return { role: presentRole(request, await saveUnique(this.roles, row, 'role', role.name)) };
  }

  @Get('roles')
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_roles', auth);
    const rows = await this.roles.find({ where: { name: query['name'], domainId: query['domain_id'] ?? IsNull() }, order: { name: 'ASC' }, take: this.collections.readLimit });
    return this.collections.cut(request, 'roles', rows, (row) => presentRole(request, row));
  }

  @Get('roles/:id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_role', auth);
    return { role: presentRole(request, await findOr404(this.roles, 'role', id)) };
  }

  @Patch('roles/:id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_role', auth);
    const { role } = parseInput(updateSchema, body);
    const row = Object.assign(await findOr404(this.roles, 'role', id), role);
    return { role: presentRole(request, await saveUnique(this.roles, row, 'role', row.name)) };
  }

  @Delete('roles/:id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_role', auth);
    await findOr404(this.roles, 'role', id);
    await this.grants.deleteRole(id);
  }

  @Put('roles/:prior/implies/:implied')
  @HttpCode(201)
  async imply(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string, @Req() request: Request) {
    this.policy.enforce('identity:create_implied_role', auth);
    const [prior, implied] = [await findOr404(this.roles, 'role', priorId), await findOr404(this.roles, 'role', impliedId)];
    await this.implications.upsert({ priorRoleId: prior.id, impliedRoleId: implied.id }, ['priorRoleId', 'impliedRoleId']);
    return { role_inference: { prior_role: presentRoleRef(request, prior), implies: presentRoleRef(request, implied) } };
  }

  /** Keystone answers the check with 204 and no body; declared before GET, which Express would let answer HEAD. */
  @Head('roles/:prior/implies/:implied')
  @HttpCode(204)
  async checkImplied(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string) {
    await this.implication(auth, priorId, impliedId);
  }

  @Get('roles/:prior/implies/:implied')
  async getImplied(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string, @Req() request: Request) {
    const [prior, implied] = await this.implication(auth, priorId, impliedId);
    return { role_inference: { prior_role: presentRoleRef(request, prior), implies: presentRoleRef(request, implied) } };
  }

  @Get('roles/:prior/implies')
  async listImplied(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Req() request: Request) {
    this.policy.enforce('identity:list_implied_roles', auth);
    const prior = await findOr404(this.roles, 'role', priorId);
    const rules = await this.implications.findBy({ priorRoleId: prior.id });
    const implied = rules.length > 0 ? await this.roles.findBy({ id: In(rules.map((rule) => rule.impliedRoleId)) }) : [];
    return { role_inference: { prior_role: presentRoleRef(request, prior), implies: implied.map((role) => presentRoleRef(request, role)) } };
  }

  @Delete('roles/:prior/implies/:implied')
  @HttpCode(204)
  async deleteImplied(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string) {
    this.policy.enforce('identity:delete_implied_role', auth);
    const result = await this.implications.delete({ priorRoleId: priorId, impliedRoleId: impliedId });
    if (!result.affected) {
      throw notFound(`${priorId} does not imply ${impliedId}.`);
    }
  }

  @Get('role_inferences')
  async inferences(@CurrentAuth() auth: AuthContext, @Req() request: Request) {
    this.policy.enforce('identity:list_role_inference_rules', auth);
    const [rules, roles] = await Promise.all([this.implications.find(), this.roles.find()]);
    const byId = new Map(roles.map((role) => [role.id, role]));
    const priors = [...new Set(rules.map((rule) => rule.priorRoleId))];
    return {
      role_inferences: priors.map((priorId) => ({
        prior_role: presentRoleRef(request, byId.get(priorId) as RoleEntity),
        implies: rules.filter((rule) => rule.priorRoleId === priorId).map((rule) => presentRoleRef(request, byId.get(rule.impliedRoleId) as RoleEntity)),
      })),
    };
  }

  private async implication(auth: AuthContext, priorId: string, impliedId: string): Promise<[RoleEntity, RoleEntity]> {
    this.policy.enforce('identity:get_implied_role', auth);
    const [prior, implied] = [await findOr404(this.roles, 'role', priorId), await findOr404(this.roles, 'role', impliedId)];
    if (!(await this.implications.existsBy({ priorRoleId: prior.id, impliedRoleId: implied.id }))) {
      throw notFound(`${prior.id} does not imply ${implied.id}.`);
    }
    return [prior, implied];
  }
}
