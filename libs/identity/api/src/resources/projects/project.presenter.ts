import { type ProjectEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

export function presentProject(request: Request, project: ProjectEntity) {
  return withSelf(request, `projects/${project.id}`, {
    id: project.id,
    name: project.name,
    domain_id: project.domainId,
    description: project.description ?? '',
    enabled: project.enabled,
    // Keystone shows top-level projects as children of their domain.
    parent_id: project.parentId ?? project.domainId,
    is_domain: false,
    tags: project.tags,
    options: {},
    ...project.extra,
  });
}
