import { createL2Driver } from '@overcast/network/drivers';
import { createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { type CommonSettings, commonSettings, ConfigError, type ConfigSources, createLogger, loadConfig, type Logger, runUntilSignalled } from '@overcast/shared/core';
import { join, resolve } from 'node:path';
import { NetworkAgent } from './network-agent';
import { networkAgentSettings } from './network-agent.config';

export interface RunningNetworkAgent {
  agent: NetworkAgent;
  close(): Promise<void>;
}

/**
 * Starts this host's network agent with the driver its config names, on its own connection to
 * the bus; undefined (and a line saying so) when no driver is configured.
 */
export async function startNetworkAgent(common: CommonSettings, sources: ConfigSources, logger: Logger): Promise<RunningNetworkAgent | undefined> {
  const settings = loadConfig(networkAgentSettings, 'network-agent', sources);
  if (!settings.driver) {
    logger.info('no network agent: network-agent.driver is not set (linuxbridge or ovs), so ports are not wired and stay DOWN');
    return undefined;
  }
  const driver = createL2Driver(settings.driver, {
    host: common.host,
    tunnelIp: settings.tunnelIp,
    tunnelInterface: settings.tunnelInterface,
    vxlanGroup: settings.vxlanGroup,
    physicalInterfaces: settings.physicalInterfaces,
    stateDirectory: resolve(settings.stateDirectory ?? join(common.dataDir, 'network-agent')),
    hostNamespace: settings.hostNamespace,
    ovsdbSocket: settings.ovsdbSocket,
    integrationBridge: settings.integrationBridge,
    tunnelBridge: settings.tunnelBridge,
    bridgeMappings: settings.bridgeMappings,
  });
  const bus: MessageBus = await createMessageBus(common.transportUrl, { logger });
  const agent = new NetworkAgent(bus, driver, { ...settings, host: common.host }, logger);
  try {
    const capabilities = await agent.start();
    logger.info({ driver: settings.driver, networkTypes: capabilities.networkTypes, host: common.host }, 'network agent serving');
  } catch (error) {
    await agent.stop();
    await bus.close();
    throw error;
  }
  return {
    agent,
    async close() {
      await agent.stop();
      await bus.close();
    },
  };
}

/** Runs this host's network agent as its own process until signalled (`overcast agent network`, the network-agent app). */
export async function serveNetworkAgent(sources: ConfigSources): Promise<void> {
  const common = loadConfig(commonSettings, '', sources);
  const logger = createLogger({ level: common.logLevel, name: 'network-agent' });
  const running = await startNetworkAgent(common, sources, logger);
  if (!running) {
    throw new ConfigError('OVERCAST_NETWORK_AGENT_DRIVER (network-agent.driver) must name the driver this host uses: linuxbridge or ovs');
  }
  runUntilSignalled(() => running.close(), (error) => logger.error({ err: error }, 'stopping failed'));
}
