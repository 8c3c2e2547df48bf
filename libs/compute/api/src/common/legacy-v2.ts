import { type NextFunction, type Request, type Response } from 'express';

/**
 * Nova's legacy `/v2` API is the v2.1 code without microversions: its requests are served by the
 * v2.1 routes (at microversion 2.1, as a client that asks for none gets). `/v2` itself answers
 * its own version document (versions.controller.ts). Runs before routing, which it redirects.
 */
export function legacyV2Paths(request: Request, _response: Response, next: NextFunction): void {
  request.url = request.url.replace(/^\/v2\/(?=[^/?])/, '/v2.1/');
  next();
}
