import { Body, Controller, Delete, Get, Head, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound, parseInput } from '@overcast/shared/core';
import { ImpliedRoleEntity, RoleEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, IsNull, Repository } from 'typeorm';
import { z } from 'zod';
import { newId } from '../../common/ids';
import { collection } from '../../common/links';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema, nameSchema } from '../../common/schemas';
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
    private readonly policy: PolicyService,
  ) {}

  @Post('roles')
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_role', auth);
    const { role } = parseInput(createSchema, body);
    const row = this.roles.create({ id: newId(), name: role.name, domainId: role.domain_id ?? null, description: role.description ?? null, options: role.options ?? {} });
    return { role: presentRole(request, await saveUnique(this.roles, row, 'role', role.name)) };
  }

  @Get('roles')
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_roles', auth);
    const rows = await this.roles.find({ where: { name: query['name'], domainId: query['domain_id'] ?? IsNull() }, order: { name: 'ASC' } });
    return collection(request, 'roles', rows.map((row) => presentRole(request, row)));
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
    // Assignments and implication rules naming the role cascade in the database.
    await this.roles.delete({ id });
  }

  @Put('roles/:prior/implies/:implied')
  @HttpCode(201)
  async imply(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string, @Req() request: Request) {
    this.policy.enforce('identity:create_implied_role', auth);
    const [prior, implied] = [await findOr404(this.roles, 'role', priorId), await findOr404(this.roles, 'role', impliedId)];
    await this.implications.upsert({ priorRoleId: prior.id, impliedRoleId: implied.id }, ['priorRoleId', 'impliedRoleId']);
    return { role_inference: { prior_role: presentRoleRef(request, prior), implies: presentRoleRef(request, implied) } };
  }

  @Get('roles/:prior/implies/:implied')
  @Head('roles/:prior/implies/:implied')
  async getImplied(@CurrentAuth() auth: AuthContext, @Param('prior') priorId: string, @Param('implied') impliedId: string, @Req() request: Request) {
    this.policy.enforce('identity:get_implied_role', auth);
    const [prior, implied] = [await findOr404(this.roles, 'role', priorId), await findOr404(this.roles, 'role', impliedId)];
    if (!(await this.implications.existsBy({ priorRoleId: prior.id, impliedRoleId: implied.id }))) {
      throw notFound(`${prior.id} does not imply ${implied.id}.`);
    }
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
}
