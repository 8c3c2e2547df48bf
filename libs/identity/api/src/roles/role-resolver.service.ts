import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type NamedRef } from '@overcast/shared/auth';
import { AssignmentEntity, GroupMemberEntity, ImpliedRoleEntity, RoleEntity, type TargetType } from '@overcast/identity/data-access';
import { In, Repository } from 'typeorm';

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
  async withImplied(roleIds: Set<string>): Promise<Set<string>> {
    const closed = new Set(roleIds);
    let frontier = [...roleIds];
    while (frontier.length > 0) {
      const implied = await this.implications.findBy({ priorRoleId: In(frontier) });
      frontier = implied.map((rule) => rule.impliedRoleId).filter((id) => !closed.has(id));
      frontier.forEach((id) => closed.add(id));
    }
    return closed;
  }
}
