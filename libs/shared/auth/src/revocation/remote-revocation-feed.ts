import { type RevocationFeed } from '../auth.module';
import { type ServiceToken } from '../tokens/service-token';
import { type RevocationEvent } from './revocation-event';

/** Reads identity's revocation list with the service's own user, as keystonemiddleware does. */
export class RemoteRevocationFeed implements RevocationFeed {
  constructor(
    private readonly identityUrl: string,
    private readonly serviceToken: ServiceToken,
  ) {}

  async load(): Promise<RevocationEvent[]> {
    const response = await fetch(new URL('/v3/OS-REVOKE/events', this.identityUrl), { headers: { 'X-Auth-Token': await this.serviceToken.get() }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) {
      throw new Error(`identity answered ${response.status} for the revocation list`);
    }
    return ((await response.json()) as { events: RevocationEvent[] }).events;
  }
}
