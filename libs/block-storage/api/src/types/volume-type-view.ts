import { type VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { type View } from '../common/cinder-list';

/** The extra specs any reader of a type sees; the rest tell only admins how the cloud is built (Cinder's USER_VISIBLE_EXTRA_SPECS). */
export const USER_VISIBLE_EXTRA_SPECS: readonly string[] = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled'];

/** What a type's view depends on of the caller (a Caller fits). */
export interface TypeViewer {
  readonly isAdmin: boolean;
  allows(rule: string): boolean;
}

/** The extra specs `viewer` may read: all of them for an admin (Cinder's `read_sensitive`), the user-visible ones otherwise. */
export function visibleExtraSpecs(specs: Record<string, string>, viewer: TypeViewer): Record<string, string> {
  return viewer.isAdmin ? specs : Object.fromEntries(Object.entries(specs).filter(([key]) => USER_VISIBLE_EXTRA_SPECS.includes(key)));
}

/**
 * Cinder's type view (cinder/api/v3/views/types.py with the type-access extension): extra specs
 * for readers, `os-volume-type-access:is_public` for members, `qos_specs_id` for admins — each
 * behind the policy rule Cinder uses by default.
 */
export function volumeTypeView(type: VolumeTypeEntity, viewer: TypeViewer): View {
  return {
    id: type.id,
    name: type.name,
    is_public: type.isPublic,
    description: type.description,
    ...(viewer.allows('read') ? { extra_specs: visibleExtraSpecs(type.extraSpecs, viewer) } : {}),
    // No QoS specs are served: a type has none.
    ...(viewer.isAdmin ? { qos_specs_id: null } : {}),
    ...(viewer.allows('write') ? { 'os-volume-type-access:is_public': type.isPublic } : {}),
  };
}
