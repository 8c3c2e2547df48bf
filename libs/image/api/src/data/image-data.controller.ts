import { Controller, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import { type AuthContext, CurrentAuth } from '@overcast/shared/auth';
import { OpenStackError } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ImageDataService } from './image-data.service';

@Controller('v2/images/:id/file')
export class ImageDataController {
  constructor(private readonly data: ImageDataService) {}

  /** The body is the image itself, streamed into the store as it arrives. */
  @Put()
  @HttpCode(204)
  async upload(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request): Promise<void> {
    if (!request.is('application/octet-stream')) {
      throw new OpenStackError('unsupportedMediaType', `Unsupported Content-Type: ${request.get('content-type') ?? 'none'}. Image data is sent as application/octet-stream.`);
    }
    const length = request.get('content-length');
    await this.data.upload(auth, id, request, length === undefined ? undefined : Number(length), request.get('x-image-meta-store'));
  }

  @Get()
  async download(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const { image, data, range } = await this.data.download(auth, id, request.get('range'));
    if (range === 'unsatisfiable') {
      response.setHeader('Content-Range', `bytes */${image.size ?? 0}`);
      throw new OpenStackError('rangeNotSatisfiable', `Requested range not satisfiable for an image of ${image.size ?? 0} bytes.`);
    }
    if (!data || image.size === null) {
      response.status(204).end();
      return;
    }
    response.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum) {
      response.setHeader('Content-MD5', image.checksum);
    }
    if (range) {
      response.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${image.size}`);
      response.setHeader('Content-Length', range.end - range.start + 1);
    } else {
      response.status(200).setHeader('Content-Length', image.size);
    }
    // A client that stops reading ends the pipeline; the store's stream is closed with it.
    await pipeline(data, response).catch(() => undefined);
  }
}
