import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type NamedRef } from '@overcast/shared/auth';
import { AssignmentEntity, GroupMemberEntity, ImpliedRoleEntity, RoleEntity, type TargetType } from '@overcast/identity/data-access';
import { type EntityManager, In, Repository } from 'typeorm';

/** Which roles a user effectively holds on a target: direct grants, grants to their groups, and every role those imply. */
@Injectable()
export class RoleResolver {
  constructor(
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    @InjectRepository(ImpliedRoleEntity, 'identity') private readonly implications: Repository<ImpliedRoleEntity>,
    @InjectRepository(RoleEntity, 'identity') private readonly roles: Repository<RoleEntity>,
  ) {}

  async effectiveRoles(userId: string, targetType: TargetType, targetId: string): Promise<NamedRef[]> {
    const groupIds = (await this.members.findBy({ userId })).map((member) => member.groupId);
    const grants = await this.assignments.find({
      where: [
        { actorType: 'user', actorId: userId, targetType, targetId },
        ...(groupIds.length > 0 ? [{ actorType: 'group' as const, actorId: In(groupIds), targetType, targetId }] : []),
      ],
    });
    const roleIds = await this.withImplied(new Set(grants.map((grant) => grant.roleId)));
    if (roleIds.size === 0) {
      return [];
    }
    const roles = await this.roles.findBy({ id: In([...roleIds]) });
    return roles.map((role) => ({ id: role.id, name: role.name })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Closes a set of role ids under the implied-role rules (admin ⊃ member ⊃ reader). */
  withImplied(roleIds: Set<string>): Promise<Set<string>> {
    return this.closure(roleIds, async (frontier) => (await this.implications.findBy({ priorRoleId: In(frontier) })).map((rule) => rule.impliedRoleId));
  }

  /**
   * The role and every role that implies it, directly or through others: the roles that put it in a
   * token. Reads through `manager` when a transaction needs it.
   */
  rolesImplying(roleId: string, manager?: EntityManager): Promise<Set<string>> {
    const implications = manager?.getRepository(ImpliedRoleEntity) ?? this.implications;
    return this.closure(new Set([roleId]), async (frontier) => (await implications.findBy({ impliedRoleId: In(frontier) })).map((rule) => rule.priorRoleId));
  }

  /** Follows the rules from `start` until nothing new is reached. */
  private async closure(start: Set<string>, step: (frontier: string[]) => Promise<string[]>): Promise<Set<string>> {
    const closed = new Set(start);
    let frontier = [...start];
    while (frontier.length > 0) {
      frontier = (await step(frontier)).filter((id) => !closed.has(id));
      frontier.forEach((id) => closed.add(id));
    }
    return closed;
  }
}
