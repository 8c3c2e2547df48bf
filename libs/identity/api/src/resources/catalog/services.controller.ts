import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { parseInput } from '@overcast/shared/core';
import { ServiceEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { CatalogService } from '../../catalog/catalog.service';
import { CollectionService } from '../../common/collection.service';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { findOr404 } from '../../common/persistence';
import { descriptionSchema } from '../../common/schemas';
import { presentService } from './catalog.presenters';

const serviceFields = z.object({ type: z.string().min(1).max(255), name: z.string().max(255).nullable(), description: descriptionSchema, enabled: z.boolean() }).partial();
const createSchema = z.object({ service: serviceFields.required({ type: true }) });
const updateSchema = z.object({ service: serviceFields });

@Controller('v3/services')
export class ServicesController {
  constructor(
    @InjectRepository(ServiceEntity, 'identity') private readonly services: Repository<ServiceEntity>,
    private readonly policy: PolicyService,
    private readonly collections: CollectionService,
    private readonly catalog: CatalogService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_service', auth);
    const { service } = parseInput(createSchema, body);
    const row = await this.services.save(
      this.services.create({ id: newId(), type: service.type, name: service.name ?? null, description: service.description ?? null, enabled: service.enabled ?? true, extra: {} }),
    );
    this.catalog.invalidate();
    return { service: presentService(request, row) };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_services', auth);
    const rows = await this.services.find({ where: { type: query['type'], name: query['name'] }, order: { type: 'ASC' }, take: this.collections.readLimit });
    return this.collections.cut(request, 'services', rows, (row) => presentService(request, row));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_service', auth);
    return { service: presentService(request, await findOr404(this.services, 'service', id)) };
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:update_service', auth);
    const { service } = parseInput(updateSchema, body);
    const row = await this.services.save(Object.assign(await findOr404(this.services, 'service', id), service));
    this.catalog.invalidate();
    return { service: presentService(request, row) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('identity:delete_service', auth);
    await findOr404(this.services, 'service', id);
    // Its endpoints go with it (the foreign key cascades), as in Keystone.
    await this.services.delete({ id });
    this.catalog.invalidate();
  }
}
