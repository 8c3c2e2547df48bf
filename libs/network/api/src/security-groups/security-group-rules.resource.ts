import { Injectable } from '@nestjs/common';
import { OpenStackError } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { type ResourceService } from '../common/crud-controller';
import { type ListPage, type View } from '../common/neutron-list';
import { SecurityGroupsService } from './security-groups.service';

/** `/v2.0/security-group-rules`: rules are made and deleted, never changed (a new rule replaces one). */
@Injectable()
export class SecurityGroupRulesResource implements ResourceService {
  constructor(private readonly groups: SecurityGroupsService) {}

  list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    return this.groups.listRules(caller, query, url);
  }

  show(caller: Caller, id: string): Promise<View> {
    return this.groups.showRule(caller, id);
  }

  create(caller: Caller, body: unknown): Promise<View> {
    return this.groups.createRule(caller, body);
  }

  update(): Promise<View> {
    return Promise.reject(new OpenStackError('methodNotAllowed', 'Security group rules cannot be updated.'));
  }

  delete(caller: Caller, id: string): Promise<void> {
    return this.groups.deleteRule(caller, id);
  }
}
