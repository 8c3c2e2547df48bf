import { type CallHandler, createParamDecorator, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { badRequest, OpenStackError } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { type Observable } from 'rxjs';

/** The microversions this service serves: 3.0 to 3.44 (the attachments API, completed by os-complete). */
export const MIN_VERSION = '3.0';
export const MAX_VERSION = '3.44';

/** A Cinder microversion, `3.<minor>`. */
export class ApiVersion {
  constructor(readonly minor: number) {}

  static parse(text: string): ApiVersion {
    const match = /^3\.(0|[1-9]\d*)$/.exec(text);
    if (!match) {
      throw badRequest(`Invalid API version request: ${text}`);
    }
    return new ApiVersion(Number(match[1]));
  }

  atLeast(version: string): boolean {
    return this.minor >= ApiVersion.parse(version).minor;
  }

  toString(): string {
    return `3.${this.minor}`;
  }
}

const VERSIONS = new WeakMap<Request, ApiVersion>();

/**
 * The version a request asks for in `OpenStack-API-Version: volume 3.x` (3.0 when it asks for
 * none, the newest for `latest`); outside the range served is Cinder's 406.
 */
export function requestedVersion(header: string | undefined): ApiVersion {
  const requested = (header ?? '')
    .split(',')
    .map((entry) => entry.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === 'volume')?.[1];
  if (requested === undefined) {
    return ApiVersion.parse(MIN_VERSION);
  }
  const version = ApiVersion.parse(requested.toLowerCase() === 'latest' ? MAX_VERSION : requested);
  if (!version.atLeast(MIN_VERSION) || version.minor > ApiVersion.parse(MAX_VERSION).minor) {
    throw new OpenStackError('notAcceptable', `Version ${version.toString()} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`);
  }
  return version;
}

/** Reads the microversion of every v3 request and says which one answered, as Cinder does. */
@Injectable()
export class MicroversionInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (request.path.startsWith('/v3/')) {
      const version = requestedVersion(request.get('openstack-api-version'));
      VERSIONS.set(request, version);
      const response = context.switchToHttp().getResponse<Response>();
      response.setHeader('OpenStack-API-Version', `volume ${version.toString()}`);
      response.setHeader('Vary', 'OpenStack-API-Version');
    }
    return next.handle();
  }
}

/** The request's microversion (a controller parameter). */
export const Microversion = createParamDecorator((_data: unknown, context: ExecutionContext): ApiVersion => {
  return VERSIONS.get(context.switchToHttp().getRequest<Request>()) ?? ApiVersion.parse(MIN_VERSION);
});
