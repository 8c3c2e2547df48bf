import { type NextFunction, type Request, type Response } from 'express';

/**
 * Nova answers every request with its id twice: `X-OpenStack-Request-Id` and the older
 * `X-Compute-Request-Id`, which clients (tempest's instance-action tests among them) still read.
 */
export function computeRequestId(_request: Request, response: Response, next: NextFunction): void {
  const requestId = response.getHeader('X-OpenStack-Request-Id');
  if (requestId !== undefined) {
    response.setHeader('X-Compute-Request-Id', requestId);
  }
  next();
}
