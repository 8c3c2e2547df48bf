import { createMessageBus } from '@overcast/shared/bus';
import { type CommonSettings, commonSettings, ConfigError, type ConfigSources, createLogger, loadConfig, type Logger, runUntilSignalled } from '@overcast/shared/core';
import { VolumeAgent } from './volume-agent';
import { type VolumeBackendSettings, volumeAgentSettings } from './volume-agent.config';

export interface RunningVolumeAgent {
  agent: VolumeAgent;
  close(): Promise<void>;
}

/**
 * Starts this host's volume agent with the backends its config lists — or `fallback` when it
 * lists none (the all-in-one's local backend) — on its own connection to the bus.
 */
export async function startVolumeAgent(common: CommonSettings, sources: ConfigSources, logger: Logger, fallback: VolumeBackendSettings[] = []): Promise<RunningVolumeAgent> {
  const settings = loadConfig(volumeAgentSettings, 'volume-agent', sources);
  const backends = settings.backends.length > 0 ? settings.backends : fallback;
  if (backends.length === 0) {
    throw new ConfigError(
      'OVERCAST_VOLUME_AGENT_BACKENDS (volume-agent.backends) must list the storage backends of this host, e.g. [{"name":"local","driver":"file","directory":"/var/lib/overcast/volumes"}]',
    );
  }
  const bus = await createMessageBus(common.transportUrl, { logger });
  const agent = new VolumeAgent(bus, { ...settings, backends, host: common.host }, logger);
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
  logger.info({ host: common.host, backends: backends.map((backend) => backend.name) }, 'volume agent serving');
  return { agent, close };
}

/** Runs this host's volume agent as its own process until signalled (`overcast agent volume`, the volume-agent app). */
export async function serveVolumeAgent(sources: ConfigSources): Promise<void> {
  const common = loadConfig(commonSettings, '', sources);
  const logger = createLogger({ level: common.logLevel, name: 'volume-agent' });
  const running = await startVolumeAgent(common, sources, logger);
  runUntilSignalled(() => running.close(), (error) => logger.error({ err: error }, 'stopping failed'));
}
