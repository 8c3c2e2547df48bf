import { type MessageEntity } from '@overcast/block-storage/data-access';
import { type View } from '../common/cinder-list';
import { resourceLinks } from '../common/links';

/** Cinder's user message view (cinder/api/v3/views/messages.py); the resource only when there is one. */
export function messageView(message: MessageEntity, projectUrl: string): View {
  return {
    id: message.id,
    event_id: message.eventId,
    user_message: message.userMessage,
    message_level: message.messageLevel,
    created_at: message.createdAt.toISOString(),
    guaranteed_until: message.expiresAt.toISOString(),
    request_id: message.requestId,
    links: resourceLinks(projectUrl, 'messages', message.id),
    ...(message.resourceType ? { resource_type: message.resourceType } : {}),
    ...(message.resourceUuid ? { resource_uuid: message.resourceUuid } : {}),
  };
}
