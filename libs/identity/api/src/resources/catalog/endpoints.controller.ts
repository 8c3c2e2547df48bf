import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, parseInput } from '@overcast/shared/core';
import { EndpointEntity, RegionEntity, ServiceEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { CatalogService } from '../../catalog/catalog.service';
import { CollectionService } from '../../common/collection.service';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404 } from '../../common/persistence';
import { presentEndpoint } from './catalog.presenters';

const endpointFields = z
  .object({
    interface: z.enum(['public', 'internal', 'admin']),
    service_id: z.string().min(1).max(64),
    url: z.url().max(2048),
    region_id: z.string().min(1).max(255).nullable(),
    region: z.string().min(1).max(255).nullable(),
    enabled: z.boolean(),
  })
  .partial();
const createSchema = z.object({ endpoint: endpointFields.required({ interface: true, service_id: true, url: true }) });
const updateSchema = z.object({ endpoint: endpointFields });

@Controller('v3/endpoints')
export class EndpointsController {
  constructor(
    @InjectRepository(EndpointEntity, 'identity') private readonly endpoints: Repository<EndpointEntity>,
    @InjectRepository(ServiceEntity, 'identity') private readonly services: Repository<ServiceEntity>,
    @InjectRepository(RegionEntity, 'identity') private readonly regions: Repository<RegionEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly catalog: CatalogService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_endpoint', auth);
    const { endpoint } = parseInput(createSchema, body);
    const row = this.endpoints.create({ id: newId(), interface: endpoint.interface, url: endpoint.url, serviceId: endpoint.service_id, regionId: null, enabled: endpoint.enabled ?? true, extra: {} });
    await this.applyReferences(row, endpoint);
    const saved = await this.endpoints.save(row);
    this.catalog.invalidate();
    return { endpoint: presentEndpoint(request, saved) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_endpoints', auth);
    const where = { interface: query['interface'] as EndpointEntity['interface'] | undefined, serviceId: query['service_id'], regionId: query['region_id'] };
    const rows = await this.endpoints.find({ where, order: { id: 'ASC' }, take: this.collections.readLimit });
    return this.collections.cut(request, 'endpoints', rows, (row) => presentEndpoint(request, row));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_endpoint', auth);
    return { endpoint: presentEndpoint(request, await findOr404(this.endpoints, 'endpoint', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_endpoint', auth);
    const { endpoint } = parseInput(updateSchema, body);
    const row = await findOr404(this.endpoints, 'endpoint', id);
    row.interface = endpoint.interface ?? row.interface;
    row.url = endpoint.url ?? row.url;
    row.enabled = endpoint.enabled ?? row.enabled;
    await this.applyReferences(row, endpoint);
    const saved = await this.endpoints.save(row);
    this.catalog.invalidate();
    return { endpoint: presentEndpoint(request, saved) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_endpoint', auth);
    await findOr404(this.endpoints, 'endpoint', id);
    await this.endpoints.delete({ id });
    this.catalog.invalidate();
  }

  /** The service must exist; the region (`region_id`, or the older `region`) too. */
  private async applyReferences(row: EndpointEntity, endpoint: z.infer<typeof endpointFields>): Promise<void> {
    if (endpoint.service_id !== undefined) {
      if (!(await this.services.existsBy({ id: endpoint.service_id }))) {
        throw badRequest(`Could not find service: ${endpoint.service_id}.`);
      }
      row.serviceId = endpoint.service_id;
    }
    const regionId = endpoint.region_id !== undefined ? endpoint.region_id : endpoint.region;
    if (regionId !== undefined) {
      if (regionId !== null && !(await this.regions.existsBy({ id: regionId }))) {
        throw badRequest(`Could not find region: ${regionId}.`);
      }
      row.regionId = regionId;
    }
  }
}
