import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { REVOCATION_EVENT, type RevocationEvent, RevocationList } from '@overcast/shared/auth';
import { MessageBus } from '@overcast/shared/bus';
import { RevocationEventEntity } from '@overcast/identity/data-access';
import { MoreThanOrEqual, Repository } from 'typeorm';

export type RevocationTarget = Omit<RevocationEvent, 'issued_before' | 'revoked_at'>;

function toEvent(row: RevocationEventEntity): RevocationEvent {
  const fields = {
    user_id: row.userId,
    project_id: row.projectId,
    domain_id: row.domainId,
    audit_id: row.auditId,
    audit_chain_id: row.auditChainId,
    application_credential_id: row.applicationCredentialId,
  };
  const present = Object.entries(fields).filter(([, value]) => value !== null);
  return { ...Object.fromEntries(present), issued_before: row.issuedBefore.toISOString(), revoked_at: row.revokedAt.toISOString() };
}

/** Events still relevant: none older than the longest token lifetime. */
export async function loadRecentRevocations(events: Repository<RevocationEventEntity>, maxTokenLifetimeSeconds: number, since?: Date): Promise<RevocationEvent[]> {
  const horizon = new Date(Math.max(Date.now() - maxTokenLifetimeSeconds * 1000, since?.getTime() ?? 0));
  const rows = await events.find({ where: { issuedBefore: MoreThanOrEqual(horizon) }, order: { id: 'ASC' } });
  return rows.map(toEvent);
}

/**
 * Revokes tokens: records the event (so services starting later learn it), applies it here at once,
 * and publishes it so every other service applies it within moments.
 */
@Injectable()
export class RevocationService {
  constructor(
    @InjectRepository(RevocationEventEntity, 'identity') private readonly events: Repository<RevocationEventEntity>,
    private readonly list: RevocationList,
    private readonly bus: MessageBus,
  ) {}

  async revoke(target: RevocationTarget): Promise<void> {
    // Tokens carry whole seconds; a token issued in this very second is revoked too.
    const now = new Date();
    const row = await this.events.save(
      this.events.create({
        userId: target.user_id ?? null,
        projectId: target.project_id ?? null,
        domainId: target.domain_id ?? null,
        auditId: target.audit_id ?? null,
        auditChainId: target.audit_chain_id ?? null,
        applicationCredentialId: target.application_credential_id ?? null,
        issuedBefore: now,
        revokedAt: now,
      }),
    );
    const event = toEvent(row);
    this.list.add(event);
    await this.bus.publish(REVOCATION_EVENT, event);
  }

  recent(maxTokenLifetimeSeconds: number, since?: Date): Promise<RevocationEvent[]> {
    return loadRecentRevocations(this.events, maxTokenLifetimeSeconds, since);
  }
}
