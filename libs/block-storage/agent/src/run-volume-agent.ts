import { type RunningNodeAgent, serveNodeAgent, startOnOwnBus } from '@overcast/shared/bus';
import { type CommonSettings, ConfigError, type ConfigSources, loadConfig, type Logger } from '@overcast/shared/core';
import { VolumeAgent } from './volume-agent';
import { type VolumeBackendSettings, volumeAgentSettings } from './volume-agent.config';

export type RunningVolumeAgent = RunningNodeAgent<VolumeAgent>;

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
  const running = await startOnOwnBus(common.transportUrl, logger, (bus) => new VolumeAgent(bus, { ...settings, backends, host: common.host }, logger));
  logger.info({ host: common.host, backends: backends.map((backend) => backend.name) }, 'volume agent serving');
  return running;
}

/** Runs this host's volume agent as its own process until signalled (`overcast agent volume`, the volume-agent app). */
export async function serveVolumeAgent(sources: ConfigSources): Promise<void> {
  await serveNodeAgent('volume-agent', sources, (common, logger) => startVolumeAgent(common, sources, logger));
}
