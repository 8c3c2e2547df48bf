import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { forbidden, parseInput } from '@overcast/shared/core';
import { DomainEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { newId } from '../../common/ids';
import { collection } from '../../common/links';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema, nameSchema, queryFlag } from '../../common/schemas';
import { RevocationService } from '../../revocations/revocation.service';
import { GrantService } from '../grants/grant.service';
import { presentDomain } from './domain.presenter';

const domainFields = z.object({ name: nameSchema, description: descriptionSchema.optional(), enabled: z.boolean().optional() });
const createSchema = z.object({ domain: domainFields.extend({ id: z.string().min(1).max(64).optional() }) });
const updateSchema = z.object({ domain: domainFields.partial() });

@Controller('v3/domains')
export class DomainsController {
  constructor(
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    private readonly policy: PolicyService,
    private readonly revocations: RevocationService,
    private readonly grants: GrantService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_domain', auth);
    const { domain } = parseInput(createSchema, body);
    const row = this.domains.create({ id: domain.id ?? newId(), name: domain.name, description: domain.description ?? null, enabled: domain.enabled ?? true, extra: {} });
    return { domain: presentDomain(request, await saveUnique(this.domains, row, 'domain', domain.name)) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_domains', auth);
    const rows = await this.domains.find({ where: { name: query['name'], enabled: queryFlag(query['enabled']) }, order: { name: 'ASC' } });
    return collection(request, 'domains', rows.map((row) => presentDomain(request, row)));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_domain', auth, { 'target.domain.id': id });
    return { domain: presentDomain(request, await findOr404(this.domains, 'domain', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_domain', auth, { 'target.domain.id': id });
    const { domain } = parseInput(updateSchema, body);
    const row = await findOr404(this.domains, 'domain', id);
    const disabling = row.enabled && domain.enabled === false;
    Object.assign(row, domain);
    const saved = await saveUnique(this.domains, row, 'domain', row.name);
    if (disabling) {
      await this.revocations.revoke({ domain_id: id });
    }
    return { domain: presentDomain(request, saved) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_domain', auth, { 'target.domain.id': id });
    const row = await findOr404(this.domains, 'domain', id);
    if (row.enabled) {
      throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
    }
    await this.grants.deleteDomain(id);
    await this.revocations.revoke({ domain_id: id });
  }
}
