import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('groups')
export class GroupEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('varchar', { length: 64, name: 'domain_id' }) domainId!: string;
  @Column('text', { nullable: true }) description!: string | null;
}

@Entity('group_members')
export class GroupMemberEntity {
  @PrimaryColumn('varchar', { length: 64, name: 'group_id' }) groupId!: string;
  @PrimaryColumn('varchar', { length: 64, name: 'user_id' }) userId!: string;
}
