import { type TokenClaims } from '../tokens/token-claims';
import { matchesToken, type RevocationEvent } from './revocation-event';

/**
 * The revocation events a service holds in memory: loaded once from identity, then fed by
 * identity's bus events. Events older than the longest token lifetime are dropped.
 */
export class RevocationList {
  private events: RevocationEvent[] = [];

  constructor(private readonly maxTokenLifetimeSeconds: number) {}

  replace(events: RevocationEvent[]): void {
    this.events = [...events];
    this.prune();
  }

  add(event: RevocationEvent): void {
    this.events.push(event);
    this.prune();
  }

  isRevoked(claims: TokenClaims): boolean {
    return this.events.some((event) => matchesToken(event, claims));
  }

  get size(): number {
    return this.events.length;
  }

  private prune(): void {
    const horizon = Date.now() - this.maxTokenLifetimeSeconds * 1000;
    this.events = this.events.filter((event) => Date.parse(event.issued_before) >= horizon);
  }
}
