import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type Request } from 'express';

/**
 * A list's query string as Keystone reads it (flask's `args.get`): one text value per name, the
 * first of a repeated one, so a filter is never an array.
 */
export const Filters = createParamDecorator((_data: unknown, context: ExecutionContext): Record<string, string> => {
  const query = context.switchToHttp().getRequest<Request>().query as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(query).flatMap(([name, value]) => {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      return typeof first === 'string' ? [[name, first]] : [];
    }),
  );
});
