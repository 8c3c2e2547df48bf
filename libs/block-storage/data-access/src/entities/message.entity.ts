import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Cinder's user message (`/messages`, 3.3): why an asynchronous operation failed, for the project to read. */
@Entity('messages')
export class MessageEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @Column('varchar', { length: 255, name: 'request_id', nullable: true }) requestId!: string | null;
  @Column('varchar', { length: 32, name: 'resource_type' }) resourceType!: string;
  @Column('varchar', { length: 36, name: 'resource_uuid' }) resourceUuid!: string;
  @Column('varchar', { length: 32, name: 'event_id' }) eventId!: string;
  @Column('varchar', { length: 16, name: 'message_level' }) messageLevel!: string;
  @Column('varchar', { length: 1024, name: 'user_message' }) userMessage!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
}
