import { createHypervisorDriver, type HypervisorDriverConfig } from '@overcast/compute/drivers';
import { type RunningNodeAgent, serveNodeAgent, startOnOwnBus } from '@overcast/shared/bus';
import { type CommonSettings, type ConfigSources, loadConfig, type Logger } from '@overcast/shared/core';
import { ComputeAgent } from './compute-agent';
import { type ComputeAgentSettings, computeAgentSettings } from './compute-agent.config';

export type RunningComputeAgent = RunningNodeAgent<ComputeAgent>;

/**
 * Starts this host's compute agent with the hypervisor its config names, on its own connection to
 * the bus. `overrides` win over the config: what the caller decides for the host (tests, the all-in-one).
 */
export async function startComputeAgent(common: CommonSettings, sources: ConfigSources, logger: Logger, overrides: Partial<ComputeAgentSettings> = {}): Promise<RunningComputeAgent> {
  const settings = { ...loadConfig(computeAgentSettings, 'compute-agent', sources), ...overrides, host: common.host };
  const driver = createHypervisorDriver(driverConfig(settings));
  const running = await startOnOwnBus(common.transportUrl, logger, (bus) => new ComputeAgent(bus, settings, driver, logger));
  logger.info({ host: common.host, driver: settings.driver }, `compute agent serving: ${running.agent.describe()}`);
  return running;
}

/** Runs this host's compute agent as its own process until signalled (`overcast agent compute`, the compute-agent app). */
export async function serveComputeAgent(sources: ConfigSources): Promise<void> {
  await serveNodeAgent('compute-agent', sources, (common, logger) => startComputeAgent(common, sources, logger));
}

/** The registry's description of the driver the settings pick, for this host. */
function driverConfig(settings: ComputeAgentSettings & { host: string }): HypervisorDriverConfig {
  switch (settings.driver) {
    case 'fake':
      return { driver: 'fake', hostname: settings.host, ...settings.fake };
    case 'libvirt':
      return { driver: 'libvirt', hostname: settings.host, ...settings.libvirt };
  }
}
