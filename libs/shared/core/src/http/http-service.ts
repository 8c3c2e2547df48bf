import { type DynamicModule, type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type AddressInfo } from 'node:net';
import { type Logger } from 'pino';
import { type ErrorFormat } from '../errors/error-formats';
import { OpenStackExceptionFilter, sendError } from '../errors/openstack-exception.filter';
import { NestPinoLogger } from '../logging/logger';
import { newRequestId, requestContext } from '../logging/request-context';
import { HEALTH_CHECKS, type HealthCheck, HealthController } from './health.controller';
import { metricsMiddleware } from './metrics';

export interface HttpServiceOptions {
  /** Service name used in logs and metrics, e.g. `identity`. */
  name: string;
  module: Type | DynamicModule;
  errorFormat: ErrorFormat;
  /** The identity service's public URL, named in a 401's `WWW-Authenticate` as Keystone does. */
  authenticateUri?: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** Express handlers that run before routing, e.g. to serve a legacy path prefix with the current routes. */
  beforeRouting?: RequestHandler[];
  /** What `/healthcheck` checks (the service's database…): any that fails makes it a 503. */
  healthChecks?: HealthCheck[];
}

export interface RunningHttpService {
  name: string;
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

function requestIdMiddleware(_request: Request, response: Response, next: NextFunction): void {
  const requestId = newRequestId();
  response.setHeader('X-OpenStack-Request-Id', requestId);
  requestContext.run({ requestId }, next);
}

/** Starts one OpenStack API: the service's module plus health, metrics, request ids and its error format. */
export async function startHttpService(options: HttpServiceOptions): Promise<RunningHttpService> {
  @Module({ imports: [options.module], controllers: [HealthController], providers: [{ provide: HEALTH_CHECKS, useValue: options.healthChecks ?? [] }] })
  class RootModule {}

  const logger = options.logger.child({ service: options.name });
  // Nest's logger is process-wide (the last app's wins), so it gets the unlabelled one: in the
  // all-in-one a Nest message would otherwise be put down to whichever service started last.
  const app = await NestFactory.create(RootModule, { bodyParser: false, logger: new NestPinoLogger(options.logger), abortOnError: false });
  const errorStyle = { format: options.errorFormat, authenticateUri: options.authenticateUri };
  const sendServiceError = (error: unknown, request: Request, response: Response) => sendError(errorStyle, logger, error, request, response);

  app.use(requestIdMiddleware);
  for (const handler of options.beforeRouting ?? []) {
    app.use(handler);
  }
  app.use(metricsMiddleware(options.name));
  // OpenStack clients send JSON, sometimes with a vendor media type; other bodies pass through untouched.
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (error === undefined) {
      next();
      return;
    }
    sendServiceError(error, request, response);
  });
  app.useGlobalFilters(new OpenStackExceptionFilter(errorStyle, logger));
  await app.init();

  await app.listen(options.port, options.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const url = `http://${options.host}:${address.port}`;
  logger.info({ url }, 'listening');
  return { name: options.name, app, url, close: () => app.close() };
}
