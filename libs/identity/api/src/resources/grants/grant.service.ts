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
import { DataSource, type EntityManager, Repository } from 'typeorm';
import { RevocationService } from '../../revocations/revocation.service';

export interface Grant {
  actorType: ActorType;
  actorId: string;
  targetType: TargetType;
  targetId: string;
  roleId: string;
}

/**
 * Role assignments. Removing one revokes the tokens it stood behind; deleting an actor or a target
 * removes its assignments in the same transaction, since assignments name them without foreign keys.
 */
@Injectable()
export class GrantService {
  constructor(
    @InjectDataSource('identity') private readonly dataSource: DataSource,
    @InjectRepository(AssignmentEntity, 'identity') private readonly assignments: Repository<AssignmentEntity>,
    @InjectRepository(GroupMemberEntity, 'identity') private readonly members: Repository<GroupMemberEntity>,
    private readonly revocations: RevocationService,
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
    const userIds = grant.actorType === 'user' ? [grant.actorId] : (await this.members.findBy({ groupId: grant.actorId })).map((member) => member.userId);
    const scopeField = grant.targetType === 'project' ? 'project_id' : grant.targetType === 'domain' ? 'domain_id' : undefined;
    for (const userId of userIds) {
      await this.revocations.revoke(scopeField ? { user_id: userId, [scopeField]: grant.targetId } : { user_id: userId });
    }
  }

  deleteProject(projectId: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.delete(AssignmentEntity, { targetType: 'project', targetId: projectId });
      await manager.delete(ProjectEntity, { id: projectId });
    });
  }

  deleteUser(userId: string): Promise<void> {
    return this.deleteActor(UserEntity, 'user', userId);
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.deleteActor(GroupEntity, 'group', groupId);
  }

  /** The domain's projects, users and groups cascade in the database; their assignments go here. */
  deleteDomain(domainId: string): Promise<void> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
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
  }

  private deleteActor(entity: typeof UserEntity | typeof GroupEntity, actorType: ActorType, actorId: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.delete(AssignmentEntity, { actorType, actorId });
      await manager.delete(entity, { id: actorId });
    });
  }
}
