import { Inject, Injectable } from '@nestjs/common';
import { badRequest, conflict, errorMessageOf, forbidden, notFound, OpenStackError, ServiceClient, type ServiceResponse } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';

/** The fields of a Glance image this service reads; the rest are its properties. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  size: number | null;
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  [property: string]: unknown;
}

/** The image service's REST API, called with the requester's token (so Glance's visibility rules apply). */
@Injectable()
export class ImageClient {
  private readonly client: ServiceClient;

  constructor(@Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings) {
    this.client = new ServiceClient('image', settings.imageUrl);
  }

  /** `…/v2/images/<id>/file`, where agents read (and snapshots write) the data. */
  fileUrl(imageId: string): string {
    return `${this.settings.imageUrl.replace(/\/$/, '')}/v2/images/${encodeURIComponent(imageId)}/file`;
  }

  /** The image if the requester may see it. */
  async find(token: string, imageId: string): Promise<GlanceImage | undefined> {
    const response = await this.client.request('GET', `/v2/images/${encodeURIComponent(imageId)}`, { token });
    return response.status === 404 ? undefined : this.expect<GlanceImage>(response, 'read the image');
  }

  /** A new, queued image, its data to come (a server's snapshot). */
  async create(token: string, image: Record<string, unknown>): Promise<GlanceImage> {
    const response = await this.client.request('POST', '/v2/images', { token, body: image });
    if (response.status === 400 || response.status === 409 || response.status === 413) {
      throw badRequest(`The image service refused the image: ${errorMessageOf(response.body)}`);
    }
    return this.expect<GlanceImage>(response, 'create the image');
  }

  /** Removes an image whose data never came; one already gone is fine. */
  async delete(token: string, imageId: string): Promise<void> {
    const response = await this.client.request('DELETE', `/v2/images/${encodeURIComponent(imageId)}`, { token });
    if (response.status !== 404) {
      this.expect(response, 'delete the image');
    }
  }

  /** Deletes an image the requester asked to (Nova's image API): Glance's 404 and 403 are theirs to see. */
  async deleteAsked(token: string, imageId: string): Promise<void> {
    const response = await this.client.request('DELETE', `/v2/images/${encodeURIComponent(imageId)}`, { token });
    if (response.status === 404) {
      throw notFound('Image not found.');
    }
    if (response.status === 403) {
      throw forbidden('You are not allowed to delete the image.');
    }
    if (response.status === 409) {
      throw conflict(`Image ${imageId} could not be deleted: ${errorMessageOf(response.body)}`);
    }
    this.expect(response, 'delete the image');
  }

  /** A page of the images the requester sees, with Glance's query (limit, marker, filters). */
  async list(token: string, query: URLSearchParams): Promise<GlanceImage[]> {
    const response = await this.client.request('GET', `/v2/images?${query.toString()}`, { token });
    if (response.status === 400) {
      throw badRequest(`The image service refused the query: ${errorMessageOf(response.body)}`);
    }
    return this.expect<{ images: GlanceImage[] }>(response, 'list the images').images;
  }

  private expect<T>(response: ServiceResponse, what: string): T {
    if (response.status < 200 || response.status >= 300) {
      throw new OpenStackError('serviceUnavailable', `Could not ${what}: the image service answered ${response.status} (${errorMessageOf(response.body)}).`);
    }
    return response.body as T;
  }
}
