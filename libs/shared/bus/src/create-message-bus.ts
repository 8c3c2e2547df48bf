import { Logger } from '@nestjs/common';
import { AmqpMessageBus } from './amqp.transport';
import type { BusLogger, MessageBus } from './message-bus';
import { MemoryBroker, MemoryMessageBus } from './memory.transport';

export interface MessageBusOptions {
  logger?: BusLogger;
}

const DEFAULT_MEMORY_BROKER = 'default';

/**
 * Picks the transport from the URL scheme and refuses any other:
 * `memory://<name>` in-process (buses with the same name share one broker),
 * `amqp://user:pass@host:port/vhost` (or `amqps://`) RabbitMQ.
 */
export async function createMessageBus(url: string, options: MessageBusOptions = {}): Promise<MessageBus> {
  const logger = options.logger ?? nestLogger();
  const scheme = url.slice(0, url.indexOf(':'));
  switch (scheme) {
    case 'memory':
      return new MemoryMessageBus(MemoryBroker.named(new URL(url).host || DEFAULT_MEMORY_BROKER), logger);
    case 'amqp':
    case 'amqps':
      return AmqpMessageBus.connect(url, logger);
    default:
      // Only the scheme: the URL may hold credentials.
      throw new Error(`Unsupported message bus URL scheme "${scheme}:" (expected memory:, amqp: or amqps:)`);
  }
}

function nestLogger(): BusLogger {
  const logger = new Logger('MessageBus');
  return {
    info: (...args) => logger.log(args.join(' ')),
    warn: (...args) => logger.warn(args.join(' ')),
    error: (...args) => logger.error(args.join(' ')),
  };
}
