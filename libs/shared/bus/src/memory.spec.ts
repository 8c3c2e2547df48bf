import { randomUUID } from 'node:crypto';
import { describeBusContract } from './bus.contract';
import { createMessageBus } from './create-message-bus';

// One broker for the file; tests stay apart through unique topics, as on a shared RabbitMQ.
const url = `memory://contract-${randomUUID()}`;

describeBusContract('in-process', {
  createBus: (logger) => createMessageBus(url, { logger }),
  // Queues of an in-process broker vanish with the process.
  removeTopics: async () => undefined,
});
