import { type SecurityGroupEntity, type SecurityGroupRuleEntity } from '@overcast/network/data-access';
import { standardView } from '../common/standard-view';

export const SECURITY_GROUP_SORT_KEYS = ['id', 'name', 'project_id', 'tenant_id', 'created_at', 'updated_at'];
export const RULE_SORT_KEYS = ['id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'security_group_id', 'project_id', 'tenant_id', 'created_at'];

export function ruleView(rule: SecurityGroupRuleEntity) {
  return {
    ...standardView(rule),
    security_group_id: rule.securityGroupId,
    direction: rule.direction,
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
    remote_ip_prefix: rule.remoteIpPrefix,
    normalized_cidr: rule.remoteIpPrefix,
    remote_group_id: rule.remoteGroupId,
    remote_address_group_id: null,
  };
}

export function securityGroupView(group: SecurityGroupEntity, rules: SecurityGroupRuleEntity[]) {
  return {
    ...standardView(group),
    name: group.name,
    stateful: group.stateful,
    shared: false,
    security_group_rules: rules.filter((rule) => rule.securityGroupId === group.id).map(ruleView),
  };
}
