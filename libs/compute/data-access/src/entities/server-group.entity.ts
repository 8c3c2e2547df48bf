import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

@Entity('server_groups')
export class ServerGroupEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 32 }) policy!: ServerGroupPolicy;
  /** `max_server_per_host` for anti-affinity (2.64). */
  @Column('jsonb') rules!: Record<string, number>;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}

@Entity('server_group_members')
export class ServerGroupMemberEntity {
  @PrimaryColumn('uuid', { name: 'group_id' }) groupId!: string;
  @PrimaryColumn('uuid', { name: 'instance_id' }) instanceId!: string;
}
