import { type CallHandler, createParamDecorator, type ExecutionContext, Injectable, type NestInterceptor, type Type } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { type Observable } from 'rxjs';
import { badRequest, OpenStackError } from '../errors/openstack-error';

/** A microversion, `<major>.<minor>`. */
export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  /** `text` as a version of `major`; anything else is the 400 `invalid` describes. */
  static parse(text: string, major: number, invalid = (version: string) => `Invalid API version request: ${version}`): ApiVersion {
    const match = /^(\d+)\.(0|[1-9]\d*)$/.exec(text);
    if (!match || Number(match[1]) !== major) {
      throw badRequest(invalid(text));
    }
    return new ApiVersion(major, Number(match[2]));
  }

  atLeast(version: string): boolean {
    return this.minor >= ApiVersion.parse(version, this.major).minor;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** How a service takes microversions: its service type in `OpenStack-API-Version`, the range it serves, and the paths they apply to. */
export interface MicroversionScheme {
  serviceType: string;
  major: number;
  min: string;
  max: string;
  /** Requests under this prefix are versioned (`/v3/`, `/v2.1`). */
  pathPrefix: string;
  /** A service-specific header older clients send instead (`X-OpenStack-Nova-API-Version`); answered too. */
  legacyHeader?: string;
  /** The 400 message for a version that does not parse. */
  invalid?: (version: string) => string;
}

export interface Microversions {
  /** Reads each versioned request's microversion (the minimum when it asks for none, the newest for `latest`) and says which one answered. */
  Interceptor: Type<NestInterceptor>;
  /** The request's microversion, as a controller parameter. */
  Microversion: () => ParameterDecorator;
  /** The version a request's headers ask for; outside the range served is a 406. */
  requested(headers: { get(name: string): string | undefined }): ApiVersion;
}

/** The microversion handling of one service, as the OpenStack services share it (the microversion spec). */
export function microversions(scheme: MicroversionScheme): Microversions {
  const parse = (text: string) => ApiVersion.parse(text, scheme.major, scheme.invalid);
  const min = parse(scheme.min);
  const max = parse(scheme.max);
  const versions = new WeakMap<Request, ApiVersion>();

  const requested = (headers: { get(name: string): string | undefined }): ApiVersion => {
    const fromStandard = (headers.get('openstack-api-version') ?? '')
      .split(',')
      .map((entry) => entry.trim().split(/\s+/))
      .find(([service]) => service?.toLowerCase() === scheme.serviceType)?.[1];
    const text = fromStandard ?? (scheme.legacyHeader ? headers.get(scheme.legacyHeader)?.trim() : undefined);
    if (text === undefined || text === '') {
      return min;
    }
    const version = text.toLowerCase() === 'latest' ? max : parse(text);
    if (version.minor < min.minor || version.minor > max.minor) {
      throw new OpenStackError('notAcceptable', `Version ${version.toString()} is not supported by the API. Minimum is ${scheme.min} and maximum is ${scheme.max}.`);
    }
    return version;
  };

  @Injectable()
  class Interceptor implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const request = context.switchToHttp().getRequest<Request>();
      if (request.path.startsWith(scheme.pathPrefix)) {
        const version = requested({ get: (name) => request.get(name) });
        versions.set(request, version);
        const response = context.switchToHttp().getResponse<Response>();
        response.setHeader('OpenStack-API-Version', `${scheme.serviceType} ${version.toString()}`);
        if (scheme.legacyHeader) {
          response.setHeader(scheme.legacyHeader, version.toString());
        }
        response.setHeader('Vary', scheme.legacyHeader ? `OpenStack-API-Version, ${scheme.legacyHeader}` : 'OpenStack-API-Version');
      }
      return next.handle();
    }
  }

  const Microversion = createParamDecorator((_data: unknown, context: ExecutionContext): ApiVersion => versions.get(context.switchToHttp().getRequest<Request>()) ?? min);
  return { Interceptor, Microversion: () => Microversion(), requested };
}
