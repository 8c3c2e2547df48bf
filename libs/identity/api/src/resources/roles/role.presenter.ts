import { type RoleEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

export function presentRole(request: Request, role: RoleEntity) {
  return withSelf(request, `roles/${role.id}`, {
    id: role.id,
    name: role.name,
    domain_id: role.domainId,
    description: role.description ?? null,
    options: role.options,
  });
}

/** The short form implied-role documents use. */
export function presentRoleRef(request: Request, role: RoleEntity) {
  return withSelf(request, `roles/${role.id}`, { id: role.id, name: role.name });
}
