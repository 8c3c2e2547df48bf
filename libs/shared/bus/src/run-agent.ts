import { type CommonSettings, commonSettings, type ConfigSources, createLogger, loadConfig, type Logger, runUntilSignalled } from '@overcast/shared/core';
import { createMessageBus } from './create-message-bus';
import { type BusLogger, type MessageBus } from './message-bus';

/** A node agent: it serves its host's topic (`<role>.<host>`) from start() until stop(). */
export interface NodeAgent {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RunningNodeAgent<A extends NodeAgent> {
  agent: A;
  close(): Promise<void>;
}

/** Starts a node agent on its own connection to the bus; one that fails to start is stopped and its connection closed. */
export async function startOnOwnBus<A extends NodeAgent>(transportUrl: string, logger: Logger, create: (bus: MessageBus) => A): Promise<RunningNodeAgent<A>> {
  const bus = await createMessageBus(transportUrl, { logger });
  const agent = create(bus);
  const close = async (): Promise<void> => {
    await agent.stop();
    await bus.close();
  };
  try {
    await agent.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { agent, close };
}

/** Runs a node agent as its own process until signalled (`overcast agent <role>`, the `<role>-agent` app). */
export async function serveNodeAgent(name: string, sources: ConfigSources, start: (common: CommonSettings, logger: Logger) => Promise<{ close(): Promise<void> }>): Promise<void> {
  const common = loadConfig(commonSettings, '', sources);
  const logger = createLogger({ level: common.logLevel, name });
  const running = await start(common, logger);
  runUntilSignalled(() => running.close(), (error) => logger.error({ err: error }, 'stopping failed'));
}

/**
 * Runs a piece of an agent's work, logging its start, its end and how long it took. A failure is
 * logged and rethrown as an Error with the same message, less `secret` (the requester's token):
 * the message goes back to the user.
 */
export async function loggedWork<T>(logger: BusLogger, what: string, context: Record<string, unknown>, secret: string | undefined, work: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  logger.info(context, `${what} started`);
  try {
    const result = await work();
    const durationMs = Math.round(performance.now() - startedAt);
    logger.info({ ...context, durationMs }, `${what} done in ${durationMs} ms`);
    return result;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = secret ? text.split(secret).join('***') : text;
    const durationMs = Math.round(performance.now() - startedAt);
    logger.warn({ ...context, durationMs }, `${what} failed after ${durationMs} ms: ${message}`);
    throw new Error(message);
  }
}
