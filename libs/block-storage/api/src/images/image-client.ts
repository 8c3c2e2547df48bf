import { Inject, Injectable } from '@nestjs/common';
import { badRequest, notFound, OpenStackError } from '@overcast/shared/core';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';

/** The fields of a Glance image this service reads. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  size: number | null;
  min_disk: number;
  disk_format: string | null;
  container_format: string | null;
  direct_url?: string;
  [property: string]: unknown;
}

const TIMEOUT_MS = 30_000;

/** The image service's REST API, called with the requester's token (so Glance's visibility rules apply). */
@Injectable()
export class ImageClient {
  constructor(@Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings) {}

  fileUrl(imageId: string): string {
    return `${this.imageUrl(imageId)}/file`;
  }

  /** The image as the requester may see it; Cinder's 404 when they may not. */
  async show(token: string, imageId: string): Promise<GlanceImage> {
    const response = await this.send('GET', this.imageUrl(imageId), token);
    if (response.status === 404) {
      throw notFound(`Image ${imageId} could not be found.`);
    }
    return (await this.expectOk(response, 'read the image')) as GlanceImage;
  }

  /** A new, queued image, its data to come. */
  async create(token: string, image: Record<string, unknown>): Promise<GlanceImage> {
    const response = await this.send('POST', `${this.settings.imageUrl}/v2/images`, token, image);
    if (response.status === 400 || response.status === 409 || response.status === 413) {
      throw badRequest(`Invalid input received: the image service refused the image: ${await this.messageOf(response)}`);
    }
    return (await this.expectOk(response, 'create the image')) as GlanceImage;
  }

  private imageUrl(imageId: string): string {
    return `${this.settings.imageUrl}/v2/images/${encodeURIComponent(imageId)}`;
  }

  private async send(method: string, url: string, token: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new OpenStackError('serviceUnavailable', 'The image service is unreachable.');
    }
  }

  private async expectOk(response: Response, what: string): Promise<unknown> {
    if (!response.ok) {
      throw new OpenStackError('serviceUnavailable', `Could not ${what}: the image service answered ${response.status}.`);
    }
    return response.json();
  }

  private async messageOf(response: Response): Promise<string> {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { message?: string };
      return (body.message ?? text).replace(/<br \/>|\n/g, ' ').trim();
    } catch {
      return text.trim();
    }
  }
}
