import { badRequest } from '@overcast/shared/core';

/** The project-wide resources of Cinder's quota set, in its order. */
export const GLOBAL_QUOTA_RESOURCES = ['volumes', 'per_volume_gigabytes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups'] as const;
export type QuotaResource = (typeof GLOBAL_QUOTA_RESOURCES)[number];

/** What each volume type has a quota of, as `<part>_<type name>` (Cinder's VolumeTypeResource); -1 unless set. */
export const PER_TYPE_PARTS = ['volumes', 'gigabytes', 'snapshots'] as const;
export type PerTypePart = (typeof PER_TYPE_PARTS)[number];

export const typeQuotaResource = (part: PerTypePart, typeName: string) => `${part}_${typeName}`;

/** Every resource of a quota set: the global ones, then each type's. */
export function quotaResources(typeNames: readonly string[]): string[] {
  return [...GLOBAL_QUOTA_RESOURCES, ...typeNames.flatMap((name) => PER_TYPE_PARTS.map((part) => typeQuotaResource(part, name)))];
}

/** Cinder's largest integer column value. */
const DB_MAX_INT = 2 ** 31 - 1;

/** oslo's `validate_integer`, as Cinder checks each quota value: whole, -1 or more. */
function quotaLimit(resource: string, value: unknown): number {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!/^[+-]?\d+$/.test(text)) {
    throw badRequest(`${resource} must be an integer`);
  }
  const limit = Number(text);
  if (limit < -1) {
    throw badRequest(`${resource} must be >= -1`);
  }
  if (limit > DB_MAX_INT) {
    throw badRequest(`${resource} must be <= ${DB_MAX_INT}`);
  }
  return limit;
}

/** `{"quota_set": {...}}` of an update: known resources with valid limits; `id` and `tenant_id` are ignored as in Cinder. */
export function quotaUpdateBody(body: unknown, resources: readonly string[]): Map<string, number> {
  const set = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['quota_set'] : undefined;
  if (typeof set !== 'object' || set === null || Array.isArray(set)) {
    throw badRequest("Invalid input received: Missing required element 'quota_set' in request body.");
  }
  const entries = Object.entries(set).filter(([key]) => key !== 'id' && key !== 'tenant_id');
  if (Object.keys(set).length === 0) {
    throw badRequest('Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties');
  }
  const unknown = entries.map(([key]) => key).filter((key) => !resources.includes(key));
  if (unknown.length > 0) {
    throw badRequest(`Invalid input received: Bad key(s) in quota set: ${unknown.join(', ')}`);
  }
  return new Map(entries.map(([key, value]) => [key, quotaLimit(key, value)]));
}
