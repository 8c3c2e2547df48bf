import { type NeutronSecurityGroup, type NeutronSecurityGroupRule } from '../clients/network-client';

/** Names and projects of the groups rules point at (`group`), by id. */
export type GroupsById = Map<string, Pick<NeutronSecurityGroup, 'name' | 'project_id'>>;

/**
 * A Neutron rule as Nova's security-group API shows it (nova/network/security_group_api.py): a
 * protocol without ports is its whole range, a rule without a remote prefix allows everyone.
 */
function ruleView(rule: NeutronSecurityGroupRule, groups: GroupsById): Record<string, unknown> | undefined {
  const wholeRange = rule.protocol !== null && rule.port_range_min === null && rule.port_range_max === null;
  const tcpOrUdp = ['tcp', 'udp'].includes(String(rule.protocol).toLowerCase());
  const view: Record<string, unknown> = {
    id: rule.id,
    parent_group_id: rule.security_group_id,
    ip_protocol: rule.protocol,
    from_port: wholeRange ? (tcpOrUdp ? 1 : -1) : rule.port_range_min,
    to_port: wholeRange ? (tcpOrUdp ? 65535 : -1) : rule.port_range_max,
    group: {},
    ip_range: {},
  };
  if (rule.remote_group_id === null) {
    view['ip_range'] = { cidr: rule.remote_ip_prefix ?? '0.0.0.0/0' };
    return view;
  }
  const remote = groups.get(rule.remote_group_id);
  // Nova leaves out a rule whose remote group the requester cannot see.
  return remote === undefined ? undefined : { ...view, group: { name: remote.name, tenant_id: remote.project_id } };
}

/** A security group as `os-security-groups` shows it: its ingress rules only, as Nova manages no other. */
export function securityGroupView(group: NeutronSecurityGroup, groups: GroupsById): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    tenant_id: group.project_id,
    rules: group.security_group_rules.filter((rule) => rule.direction === 'ingress').flatMap((rule) => ruleView(rule, groups) ?? []),
  };
}
