import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@overcast/shared/core';
import { ImageClient } from '../clients/image-client';
import { type Caller } from '../common/caller';
import { nextLinks, novaPage, queryText } from '../common/nova-list';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { imageSummary, imageView } from './image-view';

/** Nova's image filters and the Glance query parameter each becomes (nova/api/openstack/compute/images.py). */
const FILTERS: Record<string, string> = { name: 'name', status: 'status', server: 'instance_uuid', type: 'image_type', minRam: 'min_ram', minDisk: 'min_disk' };

/** Nova's image API (`/images`): a proxy to the image service, with the requester's token so Glance decides what they see and may delete (Nova has no policy of its own on it). */
@Injectable()
export class ImagesService {
  constructor(
    private readonly images: ImageClient,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, detail: boolean, baseUrl: string): Promise<Record<string, unknown>> {
    const page = novaPage(query, this.settings.maxPageSize);
    const glanceQuery = new URLSearchParams({ limit: String(page.limit) });
    if (page.marker !== undefined) {
      glanceQuery.set('marker', page.marker);
    }
    for (const [parameter, glanceParameter] of Object.entries(FILTERS)) {
      const value = queryText(query, parameter);
      if (value !== undefined) {
        glanceQuery.set(glanceParameter, parameter === 'status' ? value.toLowerCase() : value);
      }
    }
    const images = await this.images.list(caller.auth.rawToken, glanceQuery);
    const links = nextLinks(`${baseUrl}/v2.1/images${detail ? '/detail' : ''}`, query, page, images.map((image) => image.id));
    return {
      images: images.map((image) => (detail ? imageView(image, baseUrl) : imageSummary(image, baseUrl))),
      ...(links.length > 0 ? { images_links: links } : {}),
    };
  }

  async show(caller: Caller, id: string, baseUrl: string): Promise<Record<string, unknown>> {
    const image = await this.images.find(caller.auth.rawToken, id);
    if (image === undefined) {
      throw notFound('Image not found.');
    }
    return imageView(image, baseUrl);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.images.deleteAsked(caller.auth.rawToken, id);
  }
}
