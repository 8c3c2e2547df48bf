import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { z } from 'zod';
import { Caller } from '../common/caller';
import { integerInput, resourceBody } from '../common/request-body';
import { DEFAULT_QUOTAS, QUOTA_RESOURCES, QuotasService } from './quotas.service';

const limit = integerInput().refine((value) => value >= -1, { message: "'limit' must be -1 or greater" });
const quotaUpdate = z.object(Object.fromEntries(QUOTA_RESOURCES.map((resource) => [resource, limit.optional()])) as Record<(typeof QUOTA_RESOURCES)[number], z.ZodOptional<typeof limit>>);

/** `/v2.0/quotas`: per-project limits (the admin sets them; a project reads its own). */
@Controller('v2.0/quotas')
export class QuotasController {
  constructor(
    private readonly quotas: QuotasService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext) {
    new Caller(auth, this.policy).enforce('quotas');
    const projects = await this.quotas.projectsWithOwnLimits();
    return { quotas: await Promise.all(projects.map(async (projectId) => ({ ...(await this.quotas.limits(projectId)), project_id: projectId, tenant_id: projectId }))) };
  }

  @Get(':projectId/default')
  defaults(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    this.enforceReader(auth, projectId);
    return { quota: { ...DEFAULT_QUOTAS } };
  }

  @Get(':projectId/details')
  async details(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    this.enforceReader(auth, projectId);
    const limits = await this.quotas.limits(projectId);
    const entries = await Promise.all(QUOTA_RESOURCES.map(async (resource) => [resource, { limit: limits[resource], used: await this.quotas.usage(projectId, resource), reserved: 0 }] as const));
    return { quota: Object.fromEntries(entries) };
  }

  @Get(':projectId')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    this.enforceReader(auth, projectId);
    return { quota: await this.quotas.limits(projectId) };
  }

  @Put(':projectId')
  async update(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Body() body: unknown) {
    new Caller(auth, this.policy).enforce('quotas');
    await this.quotas.set(projectId, resourceBody(body, 'quota', quotaUpdate));
    return { quota: await this.quotas.limits(projectId) };
  }

  @Delete(':projectId')
  @HttpCode(204)
  async reset(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    new Caller(auth, this.policy).enforce('quotas');
    await this.quotas.reset(projectId);
  }

  /** A project reads its own quotas; the admin reads anyone's. */
  private enforceReader(auth: AuthContext, projectId: string): void {
    const caller = new Caller(auth, this.policy);
    if (!caller.isAdmin) {
      caller.enforce('read', projectId);
    }
  }
}
