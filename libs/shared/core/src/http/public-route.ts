import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key of a route that needs no token. The token guard (`@overcast/shared/auth`) reads it;
 * core defines it so that routes of its own, like `/healthcheck`, can carry it.
 */
export const PUBLIC_ROUTE_KEY = 'overcast:public-route';

/** Marks a controller or handler as open to callers without a token. */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE_KEY, true);
