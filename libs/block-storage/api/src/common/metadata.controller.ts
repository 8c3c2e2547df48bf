import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, type Type } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { Caller } from './caller';
import { metadataBody, metaItemBody, withoutKey } from './metadata-body';

/** A resource with user metadata: what the metadata routes need of its service. */
export interface MetadataOwner {
  metadataOf(caller: Caller, id: string): Promise<Record<string, string>>;
  changeMetadata(caller: Caller, id: string, change: (current: Record<string, string>) => Record<string, string>): Promise<Record<string, string>>;
}

/**
 * `/v3/{project_id}/<collection>/{id}/metadata[/{key}]`: Cinder's metadata routes, the same for
 * volumes and snapshots: show, merge (POST), replace (PUT), and one key shown, set or removed.
 */
export function metadataController(collection: string, owner: Type<MetadataOwner>): Type {
  @Controller(`v3/:projectId/${collection}/:id/metadata`)
  class MetadataController {
    constructor(
      @Inject(owner) private readonly resources: MetadataOwner,
      private readonly policy: PolicyService,
    ) {}

    private caller(auth: AuthContext, projectId: string): Caller {
      return new Caller(auth, this.policy, projectId);
    }

    @Get()
    async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string) {
      return { metadata: await this.resources.metadataOf(this.caller(auth, projectId), id) };
    }

    @Post()
    @HttpCode(200)
    async merge(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown) {
      const added = metadataBody(body);
      return { metadata: await this.resources.changeMetadata(this.caller(auth, projectId), id, (current) => ({ ...current, ...added })) };
    }

    @Put()
    async replace(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown) {
      const metadata = metadataBody(body);
      return { metadata: await this.resources.changeMetadata(this.caller(auth, projectId), id, () => metadata) };
    }

    @Get(':key')
    async showItem(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Param('key') key: string) {
      const metadata = await this.resources.metadataOf(this.caller(auth, projectId), id);
      if (!(key in metadata)) {
        throw notFound('Metadata item was not found');
      }
      return { meta: { [key]: metadata[key] } };
    }

    @Put(':key')
    async setItem(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Param('key') key: string, @Body() body: unknown) {
      const item = metaItemBody(body, key);
      await this.resources.changeMetadata(this.caller(auth, projectId), id, (current) => ({ ...current, ...item }));
      return { meta: item };
    }

    @Delete(':key')
    async deleteItem(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Param('key') key: string) {
      await this.resources.changeMetadata(this.caller(auth, projectId), id, (current) => withoutKey(current, key));
    }
  }
  return MetadataController;
}
