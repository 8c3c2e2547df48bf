import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A user's request on a server (os-instance-actions): `create`, `stop`, `reboot`… */
@Entity('instance_actions')
export class InstanceActionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('varchar', { length: 64 }) action!: string;
  @Column('varchar', { length: 255, name: 'request_id' }) requestId!: string;
  @Column('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('text', { nullable: true }) message!: string | null;
  @Column('timestamptz', { name: 'start_time' }) startTime!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** A step of an action (`compute__do_build_and_run_instance`…), with its result. */
@Entity('instance_action_events')
export class InstanceActionEventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'action_id' }) actionId!: string;
  @Column('varchar', { length: 255 }) event!: string;
  @Column('timestamptz', { name: 'start_time' }) startTime!: Date;
  @Column('timestamptz', { name: 'finish_time', nullable: true }) finishTime!: Date | null;
  /** `Success` or `Error`, null while running. */
  @Column('varchar', { length: 16, nullable: true }) result!: 'Success' | 'Error' | null;
  @Column('text', { nullable: true }) traceback!: string | null;
  @Column('varchar', { length: 255, nullable: true }) host!: string | null;
}
