/**
 * Cinder's default rules (secure RBAC), in oslo.policy syntax. Who may *see* a volume (its
 * project, or an admin) is the services' visibility rule, applied to every read; these rules
 * decide what a caller may do. Targets: `project_id`, the resource's project.
 */
export const BLOCK_STORAGE_POLICY: Record<string, string> = {
  context_is_admin: 'role:admin',
  project_member: 'role:member and project_id:%(project_id)s',
  project_reader: 'role:reader and project_id:%(project_id)s',
  admin_or_project_member: 'rule:context_is_admin or rule:project_member',
  admin_or_project_reader: 'rule:context_is_admin or rule:project_reader',

  read: 'rule:admin_or_project_reader',
  write: 'rule:admin_or_project_member',
  /** State overrides and the cloud's plumbing are the operator's. */
  'volume_extension:volume_admin_actions:reset_status': 'rule:context_is_admin',
  'volume_extension:volume_admin_actions:force_delete': 'rule:context_is_admin',
  'volume_extension:snapshot_admin_actions:reset_status': 'rule:context_is_admin',
  'volume_extension:types_manage': 'rule:context_is_admin',
  'volume_extension:quotas:update': 'rule:context_is_admin',
  'volume_extension:services:index': 'rule:context_is_admin',
  'volume_extension:services:update': 'rule:context_is_admin',
  'scheduler_extension:scheduler_stats:get_pools': 'rule:context_is_admin',
  /** Where a volume lives (`os-vol-host-attr:host`) tells an admin, not a tenant. */
  'volume_extension:volume_host_attribute': 'rule:context_is_admin',
};
