import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MessageEntity } from '@overcast/block-storage/data-access';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type FindOptionsWhere, MoreThan } from 'typeorm';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { type Caller, resourceNotFound } from '../common/caller';
import { listPage, type View } from '../common/cinder-list';
import { listScope } from '../common/query';
import { isUuid } from '../common/uuid';
import { messageView } from './message-view';

/** How long a user message is kept (Cinder's `message_ttl`). */
const MESSAGE_TTL_MS = 30 * 24 * 3600 * 1000;

/** What failed, in Cinder's event-id terms: `VOLUME_<resource>_<action>_<detail>`. */
export interface FailureNote {
  projectId: string;
  resourceType: 'VOLUME' | 'VOLUME_SNAPSHOT';
  resourceId: string;
  /** Cinder's action words, e.g. `create volume`, `extend volume`, `copy volume to image`. */
  action: string;
  reason: string;
  requestId?: string;
}

/**
 * Cinder's user messages (`/messages`, 3.3): the reason an asynchronous operation failed,
 * readable by the project that asked for it — the "why" behind an `error` status.
 */
@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
  ) {}

  async recordFailure(note: FailureNote, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.insert(MessageEntity, {
      id: randomUUID(),
      projectId: note.projectId,
      requestId: note.requestId ?? null,
      resourceType: note.resourceType,
      resourceUuid: note.resourceId,
      eventId: `VOLUME_${note.resourceType === 'VOLUME' ? 'VOLUME' : 'VOLUME_SNAPSHOT'}_${note.action.replace(/\W+/g, '_').toUpperCase()}`.slice(0, 32),
      messageLevel: 'ERROR',
      userMessage: `${note.action}: ${note.reason}`.slice(0, 1024),
      expiresAt: new Date(Date.now() + MESSAGE_TTL_MS),
    });
  }

  /** The project's messages (an admin's `all_tenants`: everyone's); expired ones are gone, as Cinder's cleanup leaves it. */
  async list(caller: Caller, query: Record<string, unknown>, projectUrl: string): Promise<unknown> {
    caller.enforce('read');
    const where: FindOptionsWhere<MessageEntity> = { expiresAt: MoreThan(new Date()), ...listScope(caller, query) };
    const views = (await this.dataSource.manager.findBy(MessageEntity, where)).map((message) => messageView(message, projectUrl));
    const page = listPage(views, query, {
      url: `${projectUrl}/messages`,
      maxLimit: this.settings.maxPageSize,
      filters: ['event_id', 'resource_type', 'resource_uuid', 'message_level', 'request_id'],
      sortable: ['id', 'event_id', 'resource_type', 'resource_uuid', 'message_level', 'request_id', 'created_at', 'guaranteed_until'],
    });
    return { messages: page.items, ...(page.links.length > 0 ? { messages_links: page.links } : {}) };
  }

  async show(caller: Caller, id: string, projectUrl: string): Promise<View> {
    const message = await this.visible(caller, id);
    caller.enforce('read', message.projectId);
    return messageView(message, projectUrl);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const message = await this.visible(caller, id);
    caller.enforce('write', message.projectId);
    await this.dataSource.manager.delete(MessageEntity, { id: message.id });
  }

  /** A message of the caller's project (an admin: any), not expired; Cinder's 404 otherwise. */
  private async visible(caller: Caller, id: string): Promise<MessageEntity> {
    const message = isUuid(id) ? await this.dataSource.manager.findOneBy(MessageEntity, { id, expiresAt: MoreThan(new Date()) }) : null;
    if (message === null || !caller.sees(message)) {
      throw resourceNotFound('Message', id);
    }
    return message;
  }
}
