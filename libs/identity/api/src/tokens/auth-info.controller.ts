import { Controller, Get, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth } from '@overcast/shared/auth';
import { forbidden } from '@overcast/shared/core';
import { AssignmentEntity, DomainEntity, GroupMemberEntity, ProjectEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { In, Repository } from 'typeorm';
import { CatalogService } from '../catalog/catalog.service';
import { collection, v3Url } from '../common/links';
import { presentDomain } from '../resources/domains/domain.presenter';
import { presentProject } from '../resources/projects/project.presenter';
import { catalogFor } from './token-body';

/** What the caller's own token lets them see: `/v3/auth/{catalog,projects,domains,system}`. */
@Controller('v3/auth')
export class AuthInfoController {
  constructor(
    private readonly catalog: CatalogService,
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    @InjectRepository(ProjectEntity, 'identity') private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(DomainEntity, 'identity') private readonly domains: Repository<DomainEntity>,
  ) {}

  @Get('catalog')
  async getCatalog(@CurrentAuth() auth: AuthContext, @Req() request: Request) {
    if (!auth.projectId) {
      throw forbidden('A project-scoped token is required to produce a service catalog.');
    }
    return { catalog: catalogFor(await this.catalog.catalog(), auth.projectId), links: { self: `${v3Url(request)}/auth/catalog` } };
  }

  @Get('projects')
  async getProjects(@CurrentAuth() auth: AuthContext, @Req() request: Request) {
    const ids = await this.targetsOf(auth.userId, 'project');
    const projects = ids.length > 0 ? await this.projects.findBy({ id: In(ids), enabled: true }) : [];
    return collection(request, 'projects', projects.map((project) => presentProject(request, project)));
  }

  @Get('domains')
  async getDomains(@CurrentAuth() auth: AuthContext, @Req() request: Request) {
    const ids = await this.targetsOf(auth.userId, 'domain');
    const domains = ids.length > 0 ? await this.domains.findBy({ id: In(ids), enabled: true }) : [];
    return collection(request, 'domains', domains.map((domain) => presentDomain(request, domain)));
  }

  @Get('system')
  async getSystem(@CurrentAuth() auth: AuthContext, @Req() request: Request) {
    const ids = await this.targetsOf(auth.userId, 'system');
    return { system: ids.length > 0 ? [{ all: true }] : [], links: { self: `${v3Url(request)}/auth/system` } };
  }

  /** Targets the user holds any role on, directly or through a group. */
  private async targetsOf(userId: string, targetType: 'project' | 'domain' | 'system'): Promise<string[]> {
    const groupIds = (await this.members.findBy({ userId })).map((member) => member.groupId);
    const grants = await this.assignments.find({
      where: [{ actorType: 'user', actorId: userId, targetType }, ...(groupIds.length > 0 ? [{ actorType: 'group' as const, actorId: In(groupIds), targetType }] : [])],
    });
    return [...new Set(grants.map((grant) => grant.targetId))];
  }
}
