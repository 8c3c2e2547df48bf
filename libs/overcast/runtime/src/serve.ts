import { commonSettings, type ConfigSources, createLogger, loadConfig, readConfigFile, runUntilSignalled } from '@overcast/shared/core';
import { type ServiceName, startService, stopService } from './services';

/** Config from `$OVERCAST_CONFIG_FILE` (or the given file) under the environment. */
export function configSources(path = process.env['OVERCAST_CONFIG_FILE']): ConfigSources {
  return { env: process.env, file: path ? readConfigFile(path) : undefined };
}

/** One service as its own process, against its configured database and bus, until signalled. */
export async function serveService(name: ServiceName, sources = configSources()): Promise<void> {
  const common = loadConfig(commonSettings, '', sources);
  const logger = createLogger({ level: common.logLevel, name });
  const service = await startService(name, common, sources, logger, false);
  runUntilSignalled(() => stopService(service), (error) => logger.error({ err: error }, 'stopping failed'));
}

