import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, AuthModuleOptions } from '@nestjs/passport';
import { OpenStackError, PUBLIC_ROUTE_KEY, PublicRoute, unauthorized } from '@overcast/shared/core';

/** Marks a route (version discovery, token issue, key set) that needs no token. */
export const Public = PublicRoute;

/** Every route needs a valid, unrevoked token unless marked @Public(); the strategy is the service's own (PassportModule's defaultStrategy). */
@Injectable()
export class TokenAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    options: AuthModuleOptions,
  ) {
    super(options);
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_KEY, [context.getHandler(), context.getClass()]);
    return isPublic === true || super.canActivate(context);
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    // A refusal that has its own status (503 while the revocation list is loading) keeps it.
    if (error instanceof OpenStackError) {
      throw error;
    }
    if (error || !user) {
      throw unauthorized();
    }
    return user;
  }
}
