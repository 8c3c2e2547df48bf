import { Injectable, type NestMiddleware } from '@nestjs/common';
import { badRequest } from '@overcast/shared/core';
import { type NextFunction, type Request, type Response } from 'express';

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') {
    return value.includes('\0');
  }
  return typeof value === 'object' && value !== null && Object.entries(value).some(([key, child]) => key.includes('\0') || hasNul(child));
}

/** PostgreSQL cannot store a NUL character in text: a request carrying one is a 400 before any query fails on it. */
@Injectable()
export class RejectNulMiddleware implements NestMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    if (request.originalUrl.includes('%00') || hasNul(request.body)) {
      throw badRequest('Invalid input: text may not contain a NUL character.');
    }
    next();
  }
}
