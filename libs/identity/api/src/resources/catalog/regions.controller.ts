import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, conflict, parseInput } from '@overcast/shared/core';
import { EndpointEntity, RegionEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { CatalogService } from '../../catalog/catalog.service';
import { newId } from '../../common/ids';
import { collection } from '../../common/links';
import { findOr404 } from '../../common/persistence';
import { descriptionSchema } from '../../common/schemas';
import { presentRegion } from './catalog.presenters';

const regionFields = z.object({ description: descriptionSchema.optional(), parent_region_id: z.string().min(1).max(255).nullable().optional() });
const createSchema = z.object({ region: regionFields.extend({ id: z.string().min(1).max(255).optional() }) });
const updateSchema = z.object({ region: regionFields });

@Controller('v3/regions')
export class RegionsController {
  constructor(
    @InjectRepository(RegionEntity, 'identity') private readonly regions: Repository<RegionEntity>,
    @InjectRepository(EndpointEntity, 'identity') private readonly endpoints: Repository<EndpointEntity>,
    private readonly policy: PolicyService,
    private readonly catalog: CatalogService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    const { region } = parseInput(createSchema, body);
    return this.store(auth, request, region.id ?? newId(), region);
  }

  /** Keystone also creates a region with a caller-chosen id by PUT. */
  @Put(':id')
  @HttpCode(201)
  async createWithId(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    const { region } = parseInput(updateSchema, body);
    return this.store(auth, request, id, region);
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_regions', auth);
    const rows = await this.regions.find({ where: { parentRegionId: query['parent_region_id'] }, order: { id: 'ASC' } });
    return collection(request, 'regions', rows.map((row) => presentRegion(request, row)));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_region', auth);
    return { region: presentRegion(request, await findOr404(this.regions, 'region', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_region', auth);
    const { region } = parseInput(updateSchema, body);
    const row = await findOr404(this.regions, 'region', id);
    if (region.description !== undefined) {
      row.description = region.description;
    }
    if (region.parent_region_id !== undefined) {
      row.parentRegionId = await this.validParent(id, region.parent_region_id);
    }
    this.catalog.invalidate();
    return { region: presentRegion(request, await this.regions.save(row)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_region', auth);
    await findOr404(this.regions, 'region', id);
    if ((await this.regions.existsBy({ parentRegionId: id })) || (await this.endpoints.existsBy({ regionId: id }))) {
      throw conflict(`Region ${id} still has child regions or endpoints.`);
    }
    await this.regions.delete({ id });
    this.catalog.invalidate();
  }

  private async store(auth: AuthContext, request: Request, id: string, region: z.infer<typeof regionFields>) {
    this.policy.enforce('identity:create_region', auth);
    if (await this.regions.existsBy({ id })) {
      throw conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`);
    }
    const row = this.regions.create({ id, description: region.description ?? null, parentRegionId: await this.validParent(id, region.parent_region_id ?? null), extra: {} });
    return { region: presentRegion(request, await this.regions.save(row)) };
  }

  private async validParent(id: string, parentId: string | null): Promise<string | null> {
    if (parentId === null) {
      return null;
    }
    if (parentId === id || !(await this.regions.existsBy({ id: parentId }))) {
      throw badRequest(`The parent region ${parentId} does not exist or would make a cycle.`);
    }
    return parentId;
  }
}
