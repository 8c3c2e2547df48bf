import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, forbidden, notFound, parseInput } from '@overcast/shared/core';
import { DomainEntity, ProjectEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { ArrayContains, ArrayOverlap, Repository } from 'typeorm';
import { z } from 'zod';
import { CollectionService } from '../../common/collection.service';
import { defaultDomainId } from '../../common/default-domain';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404, saveUnique } from '../../common/persistence';
import { descriptionSchema, queryFlag, tagsSchema } from '../../common/schemas';
import { ScopeTargetService } from '../../common/scope-target.service';
import { GrantService } from '../grants/grant.service';
import { presentProject } from './project.presenter';

const projectName = z.string().trim().min(1).max(64);
const createSchema = z.object({
  project: z.object({
    name: projectName,
    domain_id: z.string().min(1).max(64).optional(),
    parent_id: z.string().min(1).max(64).nullable().optional(),
    description: descriptionSchema.optional(),
    enabled: z.boolean().optional(),
    is_domain: z.literal(false).optional(),
    tags: tagsSchema.optional(),
  }),
});
const updateSchema = z.object({
  project: z.object({ name: projectName, description: descriptionSchema, enabled: z.boolean(), tags: tagsSchema }).partial(),
});

function tagList(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').filter(Boolean);
}

@Controller('v3/projects')
export class ProjectsController {
  constructor(
    @InjectRepository(ProjectEntity, 'identity') private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly scopeTargets: ScopeTargetService,
    private readonly grants: GrantService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    const { project } = parseInput(createSchema, body);
    let domainId = project.domain_id ?? defaultDomainId(auth);
    let parentId: string | null = null;
    if (project.parent_id && project.parent_id !== domainId) {
      const parent = await this.projects.findOneBy({ id: project.parent_id });
      if (!parent) {
        throw badRequest(`Could not find parent project: ${project.parent_id}.`);
      }
      if (project.domain_id !== undefined && project.domain_id !== parent.domainId) {
        throw badRequest(`Cannot create project, since it specifies its domain_id ${project.domain_id}, but specifies a parent in a different domain (${parent.domainId}).`);
      }
      domainId = parent.domainId;
      parentId = parent.id;
    }
    this.policy.enforce('identity:create_project', auth, { 'target.project.domain_id': domainId });
    // Keystone answers a missing domain with a 400 here, but a 404 for users and groups.
    if (!(await this.domains.existsBy({ id: domainId }))) {
      throw badRequest(`Could not find domain: ${domainId}.`);
    }
    const row = this.projects.create({
      id: newId(),
      name: project.name,
      domainId,
      parentId,
      description: project.description ?? null,
      enabled: project.enabled ?? true,
      tags: project.tags ?? [],
      extra: {},
    });
    return { project: presentProject(request, await saveUnique(this.projects, row, 'project', project.name)) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_projects', auth, { 'target.domain_id': query['domain_id'] });
    const tags = tagList(query['tags']);
    const anyTags = tagList(query['tags-any']);
    const where = {
      name: query['name'],
      domainId: query['domain_id'],
      enabled: queryFlag(query['enabled']),
      parentId: query['parent_id'],
      tags: tags ? ArrayContains(tags) : anyTags ? ArrayOverlap(anyTags) : undefined,
    };
    return this.collections.page(request, 'projects', this.projects, where, (row) => presentProject(request, row));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    const row = await this.projects.findOneBy({ id });
    this.policy.enforce('identity:get_project', auth, { 'target.project.id': id, 'target.project.domain_id': row?.domainId });
    if (!row) {
      throw notFound(`Could not find project: ${id}.`);
    }
    return { project: presentProject(request, row) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_project', auth, { 'target.project.id': id });
    const { project } = parseInput(updateSchema, body);
    return { project: presentProject(request, await this.scopeTargets.update('project', this.projects, id, project)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_project', auth, { 'target.project.id': id });
    await findOr404(this.projects, 'project', id);
    if (await this.projects.existsBy({ parentId: id })) {
      throw forbidden(`Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`);
    }
    await this.grants.deleteProject(id);
  }
}
