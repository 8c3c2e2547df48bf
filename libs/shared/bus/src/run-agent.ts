import { commonSettings, createLogger, loadConfig, runUntilSignalled } from '@overcast/shared/core';
import { createMessageBus } from './create-message-bus';

/**
 * Starts a node agent: connects to the bus and serves its per-host topic (`<role>.<host>`), where
 * `ping` answers so the controller can tell a live agent from a dead one. The roles' drivers are
 * added by their services' issues.
 */
export async function runAgent(role: string): Promise<void> {
  const common = loadConfig(commonSettings, '', { env: process.env });
  const logger = createLogger({ level: common.logLevel, name: `${role}-agent` });
  const host = common.host;
  const bus = await createMessageBus(common.transportUrl, { logger });
  const subscription = await bus.serve(`${role}.${host}`, { ping: () => ({ host, role, time: new Date().toISOString() }) });
  logger.info({ topic: `${role}.${host}` }, 'agent serving');
  runUntilSignalled(
    async () => {
      await subscription.close();
      await bus.close();
    },
    (error) => logger.error({ err: error }, 'stopping failed'),
  );
}
