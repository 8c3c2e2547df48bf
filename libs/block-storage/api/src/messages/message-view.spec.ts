import { type MessageEntity } from '@overcast/block-storage/data-access';
import { messageView } from './message-view';

describe('messageView', () => {
  it("is Cinder's user message, with links and guaranteed_until", () => {
    const message = {
      id: 'c5d3bd5c-0f5e-4a59-a3c4-e0b3fbbf6a51',
      projectId: 'p1',
      requestId: 'req-1',
      resourceType: 'VOLUME',
      resourceUuid: '0b7e2a57-5d46-4f0b-9a65-27b9a5d1c0aa',
      eventId: 'VOLUME_VOLUME_CREATE_VOLUME',
      messageLevel: 'ERROR',
      userMessage: 'create volume: no backend',
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
      expiresAt: new Date('2025-01-31T00:00:00.000Z'),
    } satisfies MessageEntity;
    expect(messageView(message, 'http://h:8776/v3/p1')).toEqual({
      id: message.id,
      event_id: 'VOLUME_VOLUME_CREATE_VOLUME',
      user_message: 'create volume: no backend',
      message_level: 'ERROR',
      created_at: '2025-01-01T00:00:00.000Z',
      guaranteed_until: '2025-01-31T00:00:00.000Z',
      request_id: 'req-1',
      resource_type: 'VOLUME',
      resource_uuid: message.resourceUuid,
      links: [
        { rel: 'self', href: `http://h:8776/v3/p1/messages/${message.id}` },
        { rel: 'bookmark', href: `http://h:8776/p1/messages/${message.id}` },
      ],
    });
  });
});
