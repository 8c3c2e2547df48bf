import { type TokenClaims } from '../tokens/token-claims';
import { matchesToken, type RevocationEvent } from './revocation-event';

/** Events arrive both from identity's list and from the bus: this tells the copies apart. */
function eventKey(event: RevocationEvent): string {
  return [
    event.issued_before,
    event.user_id,
    event.project_id,
    event.domain_id,
    event.audit_id,
    event.audit_chain_id,
    event.application_credential_id,
  ].join('|');
}

/**
 * The revocation events a service holds in memory: loaded from identity, then fed by identity's
 * bus events. Events older than the longest token lifetime are dropped. Until the first load
 * succeeds the service cannot know which tokens are revoked, so it must not accept any.
 */
export class RevocationList {
  private events = new Map<string, RevocationEvent>();
  private loaded = false;
  private markLoaded!: () => void;
  /** Resolves once identity's list has been merged: from then on the service can judge tokens. */
  readonly whenLoaded = new Promise<void>((resolve) => (this.markLoaded = resolve));

  constructor(private readonly maxTokenLifetimeSeconds: number) {}

  /** Adds identity's list to what is held; an event never stops applying, so nothing is removed. */
  merge(events: RevocationEvent[]): void {
    for (const event of events) {
      this.events.set(eventKey(event), event);
    }
    this.loaded = true;
    this.markLoaded();
    this.prune();
  }

  add(event: RevocationEvent): void {
    this.events.set(eventKey(event), event);
    this.prune();
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  isRevoked(claims: TokenClaims): boolean {
    for (const event of this.events.values()) {
      if (matchesToken(event, claims)) {
        return true;
      }
    }
    return false;
  }

  get size(): number {
    return this.events.size;
  }

  private prune(): void {
    const horizon = Date.now() - this.maxTokenLifetimeSeconds * 1000;
    for (const [key, event] of this.events) {
      if (Date.parse(event.issued_before) < horizon) {
        this.events.delete(key);
      }
    }
  }
}
