import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { forbidden, parseInput } from '@overcast/shared/core';
import { DomainEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { CollectionService } from '../../common/collection.service';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema, nameSchema, queryFlag } from '../../common/schemas';
import { ScopeTargetService } from '../../common/scope-target.service';
import { GrantService } from '../grants/grant.service';
import { presentDomain } from './domain.presenter';

// Keystone limits domain names to 64 characters, like project names.
const domainFields = z.object({ name: nameSchema.max(64), description: descriptionSchema.optional(), enabled: z.boolean().optional() });
const createSchema = z.object({ domain: domainFields.extend({ id: z.string().min(1).max(64).optional() }) });
const updateSchema = z.object({ domain: domainFields.partial() });

@Controller('v3/domains')
export class DomainsController {
  constructor(
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly scopeTargets: ScopeTargetService,
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
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_domains', auth);
    return this.collections.page(request, 'domains', this.domains, { name: query['name'], enabled: queryFlag(query['enabled']) }, (row) => presentDomain(request, row));
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
    return { domain: presentDomain(request, await this.scopeTargets.update('domain', this.domains, id, domain)) };
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
  }
}
