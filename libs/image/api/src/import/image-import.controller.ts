import { Body, Controller, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { type AuthContext, CurrentAuth } from '@overcast/shared/auth';
import { badRequest, OpenStackError } from '@overcast/shared/core';
import { type Request } from 'express';
import { ImageImportService } from './image-import.service';

/** Glance's interoperable image import: stage the data, then import it (Image API 2.6+). */
@Controller('v2/images/:id')
export class ImageImportController {
  constructor(private readonly imports: ImageImportService) {}

  /** The body is the image, streamed into the staging area as it arrives. */
  @Put('stage')
  @HttpCode(204)
  async stage(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request): Promise<void> {
    if (!request.is('application/octet-stream')) {
      throw new OpenStackError('unsupportedMediaType', `Unsupported Content-Type: ${request.get('content-type') ?? 'none'}. Image data is sent as application/octet-stream.`);
    }
    const length = request.get('content-length');
    // Glance (2025.2+) checks the data against this size when the client gives it.
    const size = request.get('x-openstack-image-size');
    if (size !== undefined && !/^\d+$/.test(size.trim())) {
      throw badRequest('Invalid or missing image size in request headers.');
    }
    await this.imports.stage(auth, id, request, length === undefined ? undefined : Number(length), size === undefined ? undefined : Number(size.trim()));
  }

  /** 202: the import goes on in the background; the image's status shows how it goes. */
  @Post('import')
  @HttpCode(202)
  async import(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown, @Req() request: Request): Promise<void> {
    await this.imports.importImage(auth, id, body, request.get('x-image-meta-store'));
  }
}
