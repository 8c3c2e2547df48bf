/**
 * Neutron's default rules (secure RBAC), in oslo.policy syntax. Who may *see* a resource (its
 * project, or a shared or external network) is the services' visibility rule, applied to every
 * read; these rules decide what a caller may do.
 * Targets: `project_id`, the resource's project.
 */
export const NETWORK_POLICY: Record<string, string> = {
  // Neutron's own default: the admin role on any project (as tempest's per-test admin projects have it).
  context_is_admin: 'role:admin',
  /** The other services' own users (compute binding the ports of the servers it builds), as Neutron's `service_api`. */
  service_api: 'role:service',
  project_member: 'role:member and project_id:%(project_id)s',
  admin_or_project_member: 'rule:context_is_admin or rule:project_member',
  project_reader: 'role:reader and project_id:%(project_id)s',
  admin_or_project_reader: 'rule:context_is_admin or rule:project_reader',

  /** Creating, changing and deleting a project's resources. */
  write: 'rule:admin_or_project_member',
  read: 'rule:admin_or_project_reader',
  /** Networks that reach beyond a project, and the segments under them, are the cloud admin's. */
  'create_network:shared': 'rule:context_is_admin',
  'create_network:router:external': 'rule:context_is_admin',
  'create_network:provider': 'rule:context_is_admin',
  /** Port binding is compute's (and the admin's) business. */
  'port:binding': 'rule:context_is_admin or rule:service_api',
  /** Changing and deleting a port: its project's members, and compute on the ports of its servers. */
  'port:write': 'rule:write or rule:service_api',
  'port:device_owner': 'rule:context_is_admin',
  'router:external_fixed_ips': 'rule:context_is_admin',
  'router:enable_snat': 'rule:context_is_admin',
  quotas: 'rule:context_is_admin',
  agents: 'rule:context_is_admin',
  ip_availability: 'rule:context_is_admin',
};
