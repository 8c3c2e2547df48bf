import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, type Type } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { type Request } from 'express';
import { Caller } from './caller';
import { listBody, type ListPage, selectFields, type View } from './neutron-list';

/** What every Neutron resource offers: list, show, create, update, delete. */
export interface ResourceService {
  list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage>;
  show(caller: Caller, id: string): Promise<View>;
  create(caller: Caller, body: unknown): Promise<View>;
  update(caller: Caller, id: string, body: unknown): Promise<View>;
  delete(caller: Caller, id: string): Promise<void>;
}

/** The collection's own URL, for the `<collection>_links` of a paged list. */
export const collectionUrl = (request: Request) => `${request.protocol}://${request.get('host') ?? 'localhost'}${request.baseUrl}${request.path}`;

/**
 * A controller for one resource at `/v2.0/<path>`: the collection under its plural name
 * (`networks`), one item under its singular (`network`), Neutron's status codes.
 */
export function resourceController(options: { path: string; collection: string; member: string; service: Type<ResourceService> }): Type<unknown> {
  const { collection, member } = options;

  @Controller(`v2.0/${options.path}`)
  class ResourceController {
    constructor(
      @Inject(options.service) private readonly service: ResourceService,
      @Inject(PolicyService) private readonly policy: PolicyService,
    ) {}

    @Get()
    async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>, @Req() request: Request) {
      return listBody(collection, await this.service.list(new Caller(auth, this.policy), query, collectionUrl(request)));
    }

    @Get(':id')
    async show(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Query() query: Record<string, unknown>) {
      return { [member]: selectFields(await this.service.show(new Caller(auth, this.policy), id), query) };
    }

    /** One resource (`{"network": {…}}`), or several at once (`{"networks": [{…}, …]}`), all or none. */
    @Post()
    @HttpCode(201)
    async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown) {
      const caller = new Caller(auth, this.policy);
      const bulk = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[collection] : undefined;
      if (bulk === undefined) {
        return { [member]: await this.service.create(caller, body) };
      }
      if (!Array.isArray(bulk) || bulk.length === 0) {
        throw badRequest(`Invalid input for operation: '${collection}' must be a non-empty list.`, 'InvalidInput');
      }
      const created: View[] = [];
      try {
        for (const item of bulk) {
          created.push(await this.service.create(caller, { [member]: item }));
        }
      } catch (error) {
        // Neutron's bulk create is all or nothing: what was made goes again.
        for (const view of created.reverse()) {
          await this.service.delete(caller, String(view['id']));
        }
        throw error;
      }
      return { [collection]: created };
    }

    @Put(':id')
    async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
      return { [member]: await this.service.update(new Caller(auth, this.policy), id, body) };
    }

    @Delete(':id')
    @HttpCode(204)
    async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
      await this.service.delete(new Caller(auth, this.policy), id);
    }
  }
  Object.defineProperty(ResourceController, 'name', { value: `${options.collection}Controller` });
  return ResourceController;
}
