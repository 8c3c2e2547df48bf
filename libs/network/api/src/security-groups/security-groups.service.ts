import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DefaultSecurityGroupEntity, PortSecurityGroupEntity, SecurityGroupEntity, SecurityGroupRuleEntity } from '@overcast/network/data-access';
import { conflict } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { z } from 'zod';
import { visibleSecurityGroup, visibleSecurityGroupRule } from '../common/access';
import { type Caller } from '../common/caller';
import { ChangeFeed } from '../common/changes';
import { listPage, type ListPage } from '../common/neutron-list';
import { integerInput, resourceBody } from '../common/request-body';
import { newStandardAttributes, touch } from '../common/standard-view';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { QuotasService } from '../quotas/quotas.service';
import { checkRule, normalizeProtocol, type RuleRequest } from './rule-input';
import { RULE_SORT_KEYS, ruleView, SECURITY_GROUP_SORT_KEYS, securityGroupView } from './security-group-view';

const createGroup = z.object({
  name: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  stateful: z.boolean().optional(),
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
});
const updateGroup = z.object({ name: z.string().max(255).optional(), description: z.string().max(255).optional(), stateful: z.boolean().optional() });
const port = integerInput().nullable().optional();
const createRule = z.object({
  security_group_id: z.string(),
  direction: z.enum(['ingress', 'egress'], { message: "'direction' must be one of ['ingress', 'egress']" }),
  ethertype: z.enum(['IPv4', 'IPv6'], { message: "'ethertype' must be one of ['IPv4', 'IPv6']" }).optional(),
  protocol: z.union([z.string(), z.number().int()]).nullable().optional(),
  port_range_min: port,
  port_range_max: port,
  remote_ip_prefix: z.string().nullable().optional(),
  remote_group_id: z.string().nullable().optional(),
  remote_address_group_id: z.null().optional(),
  description: z.string().max(255).optional(),
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
});

/** TypeORM skips a null in a where clause; IS NULL has to be asked for. */
const valueOrNull = <T>(value: T | null) => (value === null ? IsNull() : value);


/** The rules every new group starts with: all egress. The `default` group also lets its members in. */
function initialRules(groupId: string, isDefault: boolean): RuleRequest[] {
  const rule = (direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6'): RuleRequest => ({
    direction,
    ethertype,
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    remoteGroupId: direction === 'ingress' ? groupId : null,
  });
  return [rule('egress', 'IPv4'), rule('egress', 'IPv6'), ...(isDefault ? [rule('ingress', 'IPv4'), rule('ingress', 'IPv6')] : [])];
}

@Injectable()
export class SecurityGroupsService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
  ) {}

  /** The project's `default` group, made on first use; concurrent first uses make one. */
  async ensureDefault(manager: EntityManager, projectId: string): Promise<string> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`overcast-default-sg-${projectId}`]);
    const existing = await manager.findOneBy(DefaultSecurityGroupEntity, { projectId });
    if (existing) {
      return existing.securityGroupId;
    }
    const group = await this.insertGroup(manager, projectId, { name: 'default', description: 'Default security group', stateful: true }, true);
    await manager.insert(DefaultSecurityGroupEntity, { projectId, securityGroupId: group.id });
    return group.id;
  }

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    if (caller.projectId !== '') {
      await this.dataSource.transaction((manager) => this.ensureDefault(manager, caller.projectId));
    }
    const groups = await this.dataSource.manager.find(SecurityGroupEntity, { where: caller.listScope() });
    const rules = groups.length === 0 ? [] : await this.dataSource.manager.find(SecurityGroupRuleEntity, { where: { securityGroupId: In(groups.map((group) => group.id)) } });
    return listPage(groups.map((group) => securityGroupView(group, rules)), query, { url, maxLimit: this.settings.maxPageSize, sortable: SECURITY_GROUP_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    const group = await visibleSecurityGroup(this.dataSource.manager, caller, id);
    return securityGroupView(group, await this.dataSource.manager.findBy(SecurityGroupRuleEntity, { securityGroupId: id }));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'security_group', createGroup);
    const projectId = caller.ownerFor(input);
    caller.enforce('write', projectId);
    const view = await this.dataSource.transaction(async (manager) => {
      await this.ensureDefault(manager, projectId);
      if (input.name === 'default') {
        throw conflict('Default security group already exists.', 'SecurityGroupDefaultAlreadyExists');
      }
      await this.quotas.check(manager, projectId, 'security_group');
      const group = await this.insertGroup(manager, projectId, { name: input.name ?? '', description: input.description ?? '', stateful: input.stateful ?? true }, false);
      return securityGroupView(group, await manager.findBy(SecurityGroupRuleEntity, { securityGroupId: group.id }));
    });
    await this.changes.committed([{ resource: 'security_group', action: 'create', view }], { wiring: false });
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'security_group', updateGroup);
    const view = await this.dataSource.transaction(async (manager) => {
      const group = await visibleSecurityGroup(manager, caller, id);
      caller.enforce('write', group.projectId);
      if (group.name === 'default' && input.name !== undefined && input.name !== 'default') {
        throw conflict('Updating default security group not allowed.', 'SecurityGroupCannotUpdateDefault');
      }
      if (group.name !== 'default' && input.name === 'default') {
        throw conflict('Default security group already exists.', 'SecurityGroupDefaultAlreadyExists');
      }
      Object.assign(group, { name: input.name ?? group.name, description: input.description ?? group.description, stateful: input.stateful ?? group.stateful });
      await manager.save(touch(group));
      return securityGroupView(group, await manager.findBy(SecurityGroupRuleEntity, { securityGroupId: id }));
    });
    await this.changes.committed([{ resource: 'security_group', action: 'update', view }]);
    return view;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const view = await this.dataSource.transaction(async (manager) => {
      const group = await visibleSecurityGroup(manager, caller, id);
      caller.enforce('write', group.projectId);
      if (!caller.isAdmin && (await manager.existsBy(DefaultSecurityGroupEntity, { securityGroupId: id }))) {
        throw conflict('Insufficient rights for removing default security group.', 'SecurityGroupCannotRemoveDefault');
      }
      if (await manager.existsBy(PortSecurityGroupEntity, { securityGroupId: id })) {
        throw conflict(`Security Group ${id} in use.`, 'SecurityGroupInUse');
      }
      const shown = securityGroupView(group, await manager.findBy(SecurityGroupRuleEntity, { securityGroupId: id }));
      await manager.delete(SecurityGroupEntity, { id });
      return shown;
    });
    await this.changes.committed([{ resource: 'security_group', action: 'delete', view }]);
  }

  async listRules(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const rules = await this.dataSource.manager.find(SecurityGroupRuleEntity, { where: caller.listScope() });
    return listPage(rules.map(ruleView), query, { url, maxLimit: this.settings.maxPageSize, sortable: RULE_SORT_KEYS });
  }

  async showRule(caller: Caller, id: string) {
    return ruleView(await visibleSecurityGroupRule(this.dataSource.manager, caller, id));
  }

  async createRule(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'security_group_rule', createRule);
    const rule = checkRule({
      direction: input.direction,
      ethertype: input.ethertype ?? 'IPv4',
      protocol: normalizeProtocol(input.protocol),
      portRangeMin: input.port_range_min ?? null,
      portRangeMax: input.port_range_max ?? null,
      remoteIpPrefix: input.remote_ip_prefix ?? null,
      remoteGroupId: input.remote_group_id ?? null,
    });
    const view = await this.dataSource.transaction(async (manager) => {
      const group = await visibleSecurityGroup(manager, caller, input.security_group_id);
      caller.enforce('write', group.projectId);
      if (rule.remoteGroupId !== null) {
        await visibleSecurityGroup(manager, caller, rule.remoteGroupId);
      }
      await this.quotas.check(manager, group.projectId, 'security_group_rule');
      const saved = await this.insertRule(manager, group, rule, input.description ?? '');
      return ruleView(saved);
    });
    await this.changes.committed([{ resource: 'security_group_rule', action: 'create', view }]);
    return view;
  }

  async deleteRule(caller: Caller, id: string): Promise<void> {
    const view = await this.dataSource.transaction(async (manager) => {
      const rule = await visibleSecurityGroupRule(manager, caller, id);
      caller.enforce('write', rule.projectId);
      await manager.delete(SecurityGroupRuleEntity, { id });
      return ruleView(rule);
    });
    await this.changes.committed([{ resource: 'security_group_rule', action: 'delete', view }]);
  }

  /** The groups a port may use: each the caller's (any, for an admin); an unknown one is a 404. */
  async checkUsable(manager: EntityManager, caller: Caller, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await visibleSecurityGroup(manager, caller, id);
    }
  }

  private async insertGroup(manager: EntityManager, projectId: string, fields: { name: string; description: string; stateful: boolean }, isDefault: boolean): Promise<SecurityGroupEntity> {
    const group = await manager.save(manager.create(SecurityGroupEntity, { id: randomUUID(), ...newStandardAttributes(projectId, fields.description), name: fields.name, stateful: fields.stateful }));
    for (const rule of initialRules(group.id, isDefault)) {
      await this.insertRule(manager, group, rule, '');
    }
    return group;
  }

  /** A rule, unless the group has the same one already (Neutron's SecurityGroupRuleExists). */
  private async insertRule(manager: EntityManager, group: SecurityGroupEntity, rule: RuleRequest, description: string): Promise<SecurityGroupRuleEntity> {
    const existing = await manager.findOneBy(SecurityGroupRuleEntity, {
      securityGroupId: group.id,
      direction: rule.direction,
      ethertype: rule.ethertype,
      protocol: valueOrNull(rule.protocol),
      portRangeMin: valueOrNull(rule.portRangeMin),
      portRangeMax: valueOrNull(rule.portRangeMax),
      remoteIpPrefix: valueOrNull(rule.remoteIpPrefix),
      remoteGroupId: valueOrNull(rule.remoteGroupId),
    });
    if (existing) {
      throw conflict(`Security group rule already exists. Rule id is ${existing.id}.`, 'SecurityGroupRuleExists');
    }
    return manager.save(manager.create(SecurityGroupRuleEntity, { id: randomUUID(), ...newStandardAttributes(group.projectId, description), securityGroupId: group.id, ...rule }));
  }
}
