import { Injectable } from '@nestjs/common';
import { type DomainEntity, type ProjectEntity } from '@overcast/identity/data-access';
import { type Repository } from 'typeorm';
import { RevocationService } from '../revocations/revocation.service';
import { findOr404, saveUnique } from './persistence';

/** Projects and domains, the things tokens are scoped to: disabling one revokes the tokens scoped to it. */
@Injectable()
export class ScopeTargetService {
  constructor(private readonly revocations: RevocationService) {}

  async update<T extends ProjectEntity | DomainEntity>(kind: 'project' | 'domain', repository: Repository<T>, id: string, changes: Partial<T>): Promise<T> {
    const row = await findOr404(repository, kind, id);
    const disabling = row.enabled && changes.enabled === false;
    const saved = await saveUnique(repository, Object.assign(row, changes), kind, changes.name ?? row.name);
    if (disabling) {
      await this.revocations.revoke(kind === 'project' ? { project_id: id } : { domain_id: id });
    }
    return saved;
  }
}
