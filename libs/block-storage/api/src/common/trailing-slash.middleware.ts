import { Injectable, type NestMiddleware } from '@nestjs/common';
import { notFound } from '@overcast/shared/core';
import { type NextFunction, type Request, type Response } from 'express';

/**
 * `…/volumes/` is not `…/volumes` in Cinder's routes: a resource path with an empty id at the end
 * is a 404 (express would take it for the collection, and a GET would list).
 */
@Injectable()
export class TrailingSlashMiddleware implements NestMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    // Thrown, not passed to next(): Nest hands what a middleware throws to the service's error filter.
    // originalUrl: `path` is relative to where the middleware is mounted.
    if (/^\/v3\/[^/]+\/.+\/$/.test(request.originalUrl.split('?')[0] ?? '')) {
      throw notFound('The resource could not be found.');
    }
    next();
  }
}
