import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ActorType = 'user' | 'group';
export type TargetType = 'project' | 'domain' | 'system';

/** A role granted to a user or group on a project, a domain or the system. */
@Entity('assignments')
export class AssignmentEntity {
  @PrimaryColumn('varchar', { length: 16, name: 'actor_type' }) actorType!: ActorType;
  @PrimaryColumn('varchar', { length: 64, name: 'actor_id' }) actorId!: string;
  @PrimaryColumn('varchar', { length: 16, name: 'target_type' }) targetType!: TargetType;
  @PrimaryColumn('varchar', { length: 64, name: 'target_id' }) targetId!: string;
  @PrimaryColumn('varchar', { length: 64, name: 'role_id' }) roleId!: string;
  @Column('boolean', { default: false }) inherited!: boolean;
}
