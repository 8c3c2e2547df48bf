import { type UserEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

/** Extra attributes (email, description…) are stored aside and shown flat, as Keystone does. */
export function presentUser(request: Request, user: UserEntity) {
  const shown: Record<string, unknown> = {
    ...user.extra,
    id: user.id,
    name: user.name,
    domain_id: user.domainId,
    enabled: user.enabled,
    password_expires_at: null,
    options: user.options,
  };
  if (user.defaultProjectId) {
    shown['default_project_id'] = user.defaultProjectId;
  }
  return withSelf(request, `users/${user.id}`, shown);
}
