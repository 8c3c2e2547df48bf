import { type DynamicModule } from '@nestjs/common';
import { type CommonSettings, type Secret } from '@overcast/shared/core';
import { AuthModule } from './auth.module';
import { RemoteRevocationFeed } from './revocation/remote-revocation-feed';
import { ServiceToken } from './tokens/service-token';
import { RemoteVerificationKeys } from './tokens/verification-keys';

/** Revocation events are kept this long; no token outlives it (identity's maximum expiry). */
const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/**
 * Token validation for a service other than identity: identity's public keys over HTTP, its
 * revocation list read with the service's own user, then its revocation events from the bus.
 * The service's own token (`ServiceToken`) is offered to its providers, for calls to other services.
 */
export function remoteAuthModule(options: {
  common: CommonSettings;
  service: string;
  serviceUserName?: string;
  servicePassword: Secret;
  policyDefaults: Record<string, string>;
}): DynamicModule {
  const { common } = options;
  const serviceToken = new ServiceToken({
    identityUrl: common.identityUrl,
    userName: options.serviceUserName ?? options.service,
    password: options.servicePassword,
    projectName: 'service',
    domainName: 'Default',
  });
  const auth = AuthModule.forRoot({
    service: options.service,
    keys: new RemoteVerificationKeys(common.identityUrl),
    revocations: new RemoteRevocationFeed(common.identityUrl, serviceToken),
    maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS,
    policyDefaults: options.policyDefaults,
    policyFile: common.policyFile,
  });
  return { ...auth, providers: [...(auth.providers ?? []), { provide: ServiceToken, useValue: serviceToken }], exports: [...(auth.exports ?? []), ServiceToken] };
}
