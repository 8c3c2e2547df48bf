import { type StandardAttributes } from '@overcast/network/data-access';

/** The attributes every Neutron resource shows: owner (as both names), description, timestamps, revision. */
export function standardView(resource: StandardAttributes) {
  return {
    id: resource.id,
    tenant_id: resource.projectId,
    project_id: resource.projectId,
    description: resource.description,
    created_at: resource.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    updated_at: resource.updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    revision_number: resource.revisionNumber,
  };
}

/** Fills the standard attributes of a new resource. */
export function newStandardAttributes(projectId: string, description = '') {
  const now = new Date();
  return { projectId, description, revisionNumber: 0, createdAt: now, updatedAt: now };
}

/** Marks a resource changed: a new revision and update time. */
export function touch<T extends StandardAttributes>(resource: T): T {
  resource.revisionNumber += 1;
  resource.updatedAt = new Date();
  return resource;
}

/** The one view made from a one-item list (the list form batches the queries views need). */
export function onlyView<T>(views: T[]): T {
  const [view] = views;
  if (view === undefined || views.length !== 1) {
    throw new Error(`expected one view, got ${views.length}`);
  }
  return view;
}
