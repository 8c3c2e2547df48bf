import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { type ImageEntity } from '@overcast/image/data-access';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, notFound, OpenStackError } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { ImageStores } from '../data/image-stores';
import { type ImageSettings } from '../image.config';
import { IMAGE_SETTINGS } from '../image.tokens';
import { ImportMethods } from '../import/import-methods';
import { imageFromCreateRequest, patchImage } from './image-input';
import { imageView } from './image-view';
import { ImagesService, viewerOf } from './images.service';

/** Glance's `image_tag_quota`. */
const MAX_TAGS = 128;

/** A query string as Glance reads filters: one text value per name (the first of a repeated one). */
function firstValues(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).flatMap(([name, value]) => {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      return typeof first === 'string' ? [[name, first]] : [];
    }),
  );
}

/** `tag` may repeat: an image must carry every one. */
function tagsOf(query: Record<string, unknown>): string[] {
  const value = query['tag'];
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly policy: PolicyService,
    private readonly importMethods: ImportMethods,
    private readonly stores: ImageStores,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageSettings,
  ) {}

  /** As Glance's: the import methods and the stores this cloud offers, in headers (the SDK reads the first for `--import`). */
  @Post()
  @HttpCode(201)
  async create(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    const isAdmin = viewerOf(auth, this.policy).isAdmin;
    const image = await this.images.create(auth, imageFromCreateRequest(body, { isAdmin, projectId: auth.projectId ?? null, isMember: auth.roles.includes('member') || isAdmin }));
    response.setHeader('OpenStack-image-import-methods', this.importMethods.enabled.join(','));
    response.setHeader('OpenStack-image-store-ids', this.stores.describe().map((store) => store.id).join(','));
    return this.view(image);
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>, @Req() request: Request) {
    // `/v2/images/` names an image with an empty id, which Glance does not find.
    if (request.path.endsWith('/')) {
      throw notFound('No image found with ID ');
    }
    const filters = firstValues(query);
    const { images, limit } = await this.images.list(auth, query, filters, tagsOf(query));
    const body: Record<string, unknown> = { images: images.map((image) => this.view(image)), first: '/v2/images', schema: '/v2/schemas/images' };
    const last = images.at(-1);
    if (last && images.length === limit) {
      const next = new URLSearchParams(request.url.split('?')[1] ?? '');
      next.set('marker', last.id);
      body['next'] = `/v2/images?${next.toString()}`;
    }
    return body;
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('id') id: string) {
    this.policy.enforce('get_image', auth);
    return this.view(await this.images.visible(auth, id));
  }

  @Patch(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request) {
    const isAdmin = viewerOf(auth, this.policy).isAdmin;
    const image = await this.images.update(auth, id, 'modify_image', (current) => {
      const changes = patchImage(current, request.body as unknown, { isAdmin, contentType: request.get('content-type'), canModify: true });
      if (changes.visibility !== undefined && changes.visibility !== current.visibility) {
        this.images.enforceVisibility(auth, changes.visibility, current.owner);
      }
      Object.assign(current, changes);
    });
    return this.view(image);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.images.delete(auth, id);
  }

  @Post(':id/actions/deactivate')
  @HttpCode(204)
  async deactivate(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.images.setStatus(auth, id, 'deactivate');
  }

  @Post(':id/actions/reactivate')
  @HttpCode(204)
  async reactivate(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.images.setStatus(auth, id, 'reactivate');
  }

  @Put(':id/tags/:tag')
  @HttpCode(204)
  async addTag(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    if (tag.length > 255) {
      throw badRequest(`Provided object does not match schema 'image': '${tag}' is too long`);
    }
    await this.images.update(auth, id, 'modify_image', (image) => {
      if (!image.tags.includes(tag)) {
        if (image.tags.length >= MAX_TAGS) {
          throw new OpenStackError('payloadTooLarge', `Image tag limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image tags. Attempted: ${image.tags.length + 1}, Maximum: ${MAX_TAGS}:`);
        }
        image.tags = [...image.tags, tag];
      }
    });
  }

  @Delete(':id/tags/:tag')
  @HttpCode(204)
  async removeTag(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    await this.images.update(auth, id, 'modify_image', (image) => {
      if (!image.tags.includes(tag)) {
        throw new OpenStackError('notFound', `Tag ${tag} not found`);
      }
      image.tags = image.tags.filter((existing) => existing !== tag);
    });
  }

  private view(image: ImageEntity): Record<string, unknown> {
    return imageView(image, { showDirectUrl: this.settings.showDirectUrl });
  }
}
