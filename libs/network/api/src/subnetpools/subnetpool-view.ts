import { type SubnetPoolEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const SUBNETPOOL_SORT_KEYS = ['id', 'name', 'ip_version', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'shared', 'is_default', 'project_id', 'tenant_id', 'created_at', 'updated_at'];

export function subnetPoolView(pool: SubnetPoolEntity) {
  return {
    ...standardView(pool),
    name: pool.name,
    prefixes: pool.prefixes,
    ip_version: pool.ipVersion,
    default_prefixlen: pool.defaultPrefixlen,
    min_prefixlen: pool.minPrefixlen,
    max_prefixlen: pool.maxPrefixlen,
    shared: pool.shared,
    is_default: pool.isDefault,
    // Address scopes and per-project prefix quotas are not implemented: always unset.
    address_scope_id: null,
    default_quota: null,
  };
}
