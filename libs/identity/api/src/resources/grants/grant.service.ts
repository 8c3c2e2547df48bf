import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { notFound } from '@overcast/shared/core';
import {
  type ActorType,
  AssignmentEntity,
  DomainEntity,
  GroupEntity,
  GroupMemberEntity,
  ProjectEntity,
  RoleEntity,
  type TargetType,
  UserEntity,
} from '@overcast/identity/data-access';
import { DataSource, type EntityManager, In, Repository } from 'typeorm';
import { RevocationService, type RevocationTarget } from '../../revocations/revocation.service';
import { RoleResolver } from '../../roles/role-resolver.service';

export interface Grant {
  actorType: ActorType;
  actorId: string;
  targetType: TargetType;
  targetId: string;
  roleId: string;
}

/**
 * Role assignments. Removing one revokes the tokens it stood behind; deleting an actor or a target
 * removes its assignments in the same transaction, since assignments name them without foreign keys,
 * and then revokes the tokens that named it.
 */
@Injectable()
export class GrantService {
  constructor(
    @InjectDataSource('identity') private readonly dataSource: DataSource,
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    private readonly revocations: RevocationService,
    private readonly roles: RoleResolver,
  ) {}

  /** 404 naming whichever of actor, target or role does not exist. */
  async assertExists(grant: Omit<Grant, 'roleId'> & { roleId?: string }): Promise<void> {
    const manager = this.dataSource.manager;
    const actorEntity = grant.actorType === 'user' ? UserEntity : GroupEntity;
    if (!(await manager.existsBy(actorEntity, { id: grant.actorId }))) {
      throw notFound(`Could not find ${grant.actorType}: ${grant.actorId}.`);
    }
    if (grant.targetType !== 'system') {
      const targetEntity = grant.targetType === 'project' ? ProjectEntity : DomainEntity;
      if (!(await manager.existsBy(targetEntity, { id: grant.targetId }))) {
        throw notFound(`Could not find ${grant.targetType}: ${grant.targetId}.`);
      }
    }
    if (grant.roleId !== undefined && !(await manager.existsBy(RoleEntity, { id: grant.roleId }))) {
      throw notFound(`Could not find role: ${grant.roleId}.`);
    }
  }

  async grant(grant: Grant): Promise<void> {
    await this.assertExists(grant);
    await this.assignments.upsert({ ...grant, inherited: false }, ['actorType', 'actorId', 'targetType', 'targetId', 'roleId']);
  }

  async has(grant: Grant): Promise<boolean> {
    return this.assignments.existsBy(grant);
  }

  async rolesOf(actorType: ActorType, actorId: string, targetType: TargetType, targetId: string): Promise<string[]> {
    const rows = await this.assignments.findBy({ actorType, actorId, targetType, targetId });
    return rows.map((row) => row.roleId);
  }

  async revoke(grant: Grant): Promise<void> {
    await this.assertExists(grant);
    const result = await this.assignments.delete(grant);
    if (!result.affected) {
      throw notFound(`Could not find role assignment with role: ${grant.roleId}, ${grant.actorType}: ${grant.actorId}, ${grant.targetType}: ${grant.targetId}.`);
    }
    await this.revokeTokensBehind([grant]);
  }

  /**
   * Like Keystone, deleting a role revokes the tokens that carried it: granted directly, through a
   * group, or implied by a granted role. The role is locked first, so no grant of it can appear
   * between reading its grants and deleting it.
   */
  async deleteRole(roleId: string): Promise<void> {
    const grants = await this.dataSource.transaction(async (manager) => {
      await manager.findOne(RoleEntity, { where: { id: roleId }, lock: { mode: 'pessimistic_write' } });
      const carriers = await this.roles.rolesImplying(roleId, manager);
      const rows = await manager.findBy(AssignmentEntity, { roleId: In([...carriers]) });
      // Its assignments and implication rules cascade in the database.
      await manager.delete(RoleEntity, { id: roleId });
      return rows;
    });
    await this.revokeTokensBehind(grants);
  }

  async deleteProject(projectId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(AssignmentEntity, { targetType: 'project', targetId: projectId });
      await manager.delete(ProjectEntity, { id: projectId });
    });
    await this.revocations.revoke({ project_id: projectId });
  }

  async deleteUser(userId: string): Promise<void> {
    await this.deleteActor(UserEntity, 'user', userId);
    await this.revocations.revoke({ user_id: userId });
  }

  async deleteGroup(groupId: string): Promise<void> {
    const memberIds = (await this.members.findBy({ groupId })).map((member) => member.userId);
    await this.deleteActor(GroupEntity, 'group', groupId);
    for (const userId of memberIds) {
      await this.revocations.revoke({ user_id: userId });
    }
  }

  /** The domain's projects, users and groups cascade in the database; their assignments go here. */
  async deleteDomain(domainId: string): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await manager.query(
        `DELETE FROM assignments a
          WHERE (a.target_type = 'domain' AND a.target_id = $1)
             OR (a.target_type = 'project' AND a.target_id IN (SELECT id FROM projects WHERE domain_id = $1))
             OR (a.actor_type = 'user' AND a.actor_id IN (SELECT id FROM users WHERE domain_id = $1))
             OR (a.actor_type = 'group' AND a.actor_id IN (SELECT id FROM groups WHERE domain_id = $1))`,
        [domainId],
      );
      await manager.delete(DomainEntity, { id: domainId });
    });
    await this.revocations.revoke({ domain_id: domainId });
  }

  private deleteActor(entity: typeof UserEntity | typeof GroupEntity, actorType: ActorType, actorId: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.delete(AssignmentEntity, { actorType, actorId });
      await manager.delete(entity, { id: actorId });
    });
  }

  /** One event per user and target the grants gave roles on (a group's grants, its members'). */
  private async revokeTokensBehind(grants: Grant[]): Promise<void> {
    const targets = new Map<string, RevocationTarget>();
    for (const grant of grants) {
      const userIds = grant.actorType === 'user' ? [grant.actorId] : (await this.members.findBy({ groupId: grant.actorId })).map((member) => member.userId);
      for (const userId of userIds) {
        const target: RevocationTarget =
          grant.targetType === 'project' ? { user_id: userId, project_id: grant.targetId } : grant.targetType === 'domain' ? { user_id: userId, domain_id: grant.targetId } : { user_id: userId };
        targets.set(JSON.stringify(target), target);
      }
    }
    for (const target of targets.values()) {
      await this.revocations.revoke(target);
    }
  }
}
