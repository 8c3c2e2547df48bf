import { type Secret } from '@overcast/shared/core';
import { type RevocationFeed } from '../auth.module';
import { type RevocationEvent } from './revocation-event';

export interface ServiceCredentials {
  identityUrl: string;
  userName: string;
  password: Secret;
  projectName: string;
  domainName: string;
}

/** Reads identity's revocation list with the service's own user, as keystonemiddleware does. */
export class RemoteRevocationFeed implements RevocationFeed {
  constructor(private readonly credentials: ServiceCredentials) {}

  async load(): Promise<RevocationEvent[]> {
    const { identityUrl, userName, password, projectName, domainName } = this.credentials;
    const auth = await fetch(new URL('/v3/auth/tokens?nocatalog', identityUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: userName, domain: { name: domainName }, password: password.reveal() } } },
          scope: { project: { name: projectName, domain: { name: domainName } } },
        },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const token = auth.headers.get('x-subject-token');
    if (auth.status !== 201 || !token) {
      throw new Error(`identity refused the service user ${userName} (${auth.status})`);
    }
    const response = await fetch(new URL('/v3/OS-REVOKE/events', identityUrl), { headers: { 'X-Auth-Token': token }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) {
      throw new Error(`identity answered ${response.status} for the revocation list`);
    }
    return ((await response.json()) as { events: RevocationEvent[] }).events;
  }
}
