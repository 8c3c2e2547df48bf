import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { type Logger } from 'pino';
import { type ErrorFormat, renderError } from './error-formats';
import { faultForStatus, OpenStackError } from './openstack-error';

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && 'type' in error && 'status' in error && typeof (error as BodyParserError).status === 'number';
}

/**
 * Socket errors, and PostgreSQL's connection-exception (class 08) and shutdown (57P01–57P03)
 * codes: a backend the service needs (its database, mostly) is not there right now.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);

function isBackendUnavailable(error: unknown): boolean {
  // TypeORM wraps the driver's error in a QueryFailedError.
  const cause: unknown = typeof error === 'object' && error !== null && 'driverError' in error ? error.driverError : error;
  if (typeof cause !== 'object' || cause === null) {
    return false;
  }
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) || (typeof message === 'string' && message.startsWith('Connection terminated'));
}

/**
 * What the caller may see of an error; anything unexpected becomes a logged 500 without internals,
 * but a backend that cannot be reached is a logged 503, which clients retry and which clears by
 * itself once the backend is back.
 */
export function describeError(error: unknown): { status: number; message: string; type?: string; headers?: Readonly<Record<string, string>>; unexpected: boolean } {
  if (error instanceof OpenStackError) {
    return { status: error.status, message: error.message, type: error.type, headers: error.headers, unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const message = status === 404 ? 'The resource could not be found.' : typeof body === 'string' ? body : error.message;
    return { status, message, unexpected: status >= 500 };
  }
  if (isBodyParserError(error)) {
    const message = error.type === 'entity.too.large' ? 'Request body is too large.' : 'Malformed request body: it is not valid JSON.';
    return { status: error.status, message, unexpected: false };
  }
  if (isBackendUnavailable(error)) {
    return { status: 503, message: 'The service is unavailable: a backend it needs (its database) cannot be reached. Try again shortly.', unexpected: true };
  }
  return {
    status: 500,
    message: 'An unexpected error prevented the server from fulfilling your request.',
    unexpected: true,
  };
}

/** How a service answers errors: its body format and, on a 401, where to get a token (Keystone's `WWW-Authenticate`). */
export interface ErrorStyle {
  format: ErrorFormat;
  /** The identity service's public URL. */
  authenticateUri?: string;
}

export function sendError(style: ErrorStyle, logger: Logger, error: unknown, request: Request, response: Response): void {
  const { status, message, type, headers, unexpected } = describeError(error);
  if (unexpected) {
    logger.error({ err: error, method: request.method, path: request.path }, 'unexpected error');
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    response.setHeader(name, value);
  }
  if (status === 401 && style.authenticateUri) {
    response.setHeader('WWW-Authenticate', `Keystone uri="${style.authenticateUri}"`);
  }
  response.status(status).json(renderError(style.format, faultForStatus(status), message, type));
}

@Catch()
export class OpenStackExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly style: ErrorStyle,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(this.style, this.logger, exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
