import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, conflict, forbidden, parseInput } from '@overcast/shared/core';
import { RegionEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { CatalogService } from '../../catalog/catalog.service';
import { CollectionService } from '../../common/collection.service';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404 } from '../../common/persistence';
import { descriptionSchema } from '../../common/schemas';
import { presentRegion } from './catalog.presenters';

const MAX_ID_LENGTH = 255;
const regionFields = z.object({ description: descriptionSchema.optional(), parent_region_id: z.string().min(1).max(MAX_ID_LENGTH).nullable().optional() });
const createSchema = z.object({ region: regionFields.extend({ id: z.string().min(1).max(MAX_ID_LENGTH).optional() }) });
const updateSchema = z.object({ region: regionFields });

@Controller('v3/regions')
export class RegionsController {
  constructor(
    @InjectRepository(RegionEntity, 'identity') private readonly regions: Repository<RegionEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
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
    if (id.length > MAX_ID_LENGTH) {
      throw badRequest(`A region id is at most ${MAX_ID_LENGTH} characters.`);
    }
    return this.store(auth, request, id, region);
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_regions', auth);
    const rows = await this.regions.find({ where: { parentRegionId: query['parent_region_id'] }, order: { id: 'ASC' }, take: this.collections.readLimit });
    return this.collections.cut(request, 'regions', rows, (row) => presentRegion(request, row));
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
    // As in Keystone: child regions go with their parent, unless any of them still has endpoints.
    await this.regions.manager.transaction(async (manager) => {
      const subtree = `WITH RECURSIVE subtree AS (SELECT id FROM regions WHERE id = $1 UNION SELECT r.id FROM regions r JOIN subtree s ON r.parent_region_id = s.id)`;
      const [{ used }] = (await manager.query(`${subtree} SELECT EXISTS (SELECT 1 FROM endpoints WHERE region_id IN (SELECT id FROM subtree)) AS used`, [id])) as [{ used: boolean }];
      if (used) {
        throw forbidden(`Unable to delete region ${id} because it or its child regions have associated endpoints.`);
      }
      await manager.query(`${subtree} DELETE FROM regions WHERE id IN (SELECT id FROM subtree)`, [id]);
    });
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
