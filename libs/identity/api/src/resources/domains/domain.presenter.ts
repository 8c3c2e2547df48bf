import { type DomainEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

export function presentDomain(request: Request, domain: DomainEntity) {
  return withSelf(request, `domains/${domain.id}`, {
    id: domain.id,
    name: domain.name,
    description: domain.description ?? '',
    enabled: domain.enabled,
    tags: [],
    options: {},
  });
}
