import { type GroupEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

export function presentGroup(request: Request, group: GroupEntity) {
  return withSelf(request, `groups/${group.id}`, { id: group.id, name: group.name, domain_id: group.domainId, description: group.description ?? '' });
}
