import { localVolumeBackend, startVolumeAgent } from '@overcast/block-storage/agent';
import { startComputeAgent } from '@overcast/compute/agent';
import { bootstrapIdentity, identityKeyDir, KeyRing } from '@overcast/identity/api';
import { startNetworkAgent } from '@overcast/network/agent';
import { RevocationList } from '@overcast/shared/auth';
import { commonSettings, type ConfigSources, createLogger, loadConfig } from '@overcast/shared/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { writeClientConfig } from './client-config';
import { CATALOG, SERVICE_NAMES, serviceSettings, type StartedService, startService, stopService } from './services';

interface AioSecrets {
  adminPassword: string;
  servicePasswords: Record<string, string>;
}

const newPassword = () => randomBytes(18).toString('base64url');

/** The all-in-one's generated passwords, kept in the data dir (mode 0600) so a restart keeps them. */
async function loadOrCreateSecrets(dataDir: string, adminPassword: string | undefined): Promise<{ secrets: AioSecrets; firstStart: boolean }> {
  const path = join(dataDir, 'aio-secrets.json');
  try {
    return { secrets: JSON.parse(await readFile(path, 'utf8')) as AioSecrets, firstStart: false };
  } catch {
    const secrets: AioSecrets = { adminPassword: adminPassword ?? newPassword(), servicePasswords: Object.fromEntries(SERVICE_NAMES.filter((name) => name !== 'identity').map((name) => [name, newPassword()])) };
    await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return { secrets, firstStart: true };
  }
}

/** Every service in this process on embedded defaults: PGlite under the data dir, in-process bus. */
export async function runAllInOne(sources: ConfigSources): Promise<void> {
  const startedAt = performance.now();
  const common = loadConfig(commonSettings, '', sources);
  const dataDir = resolve(common.dataDir);
  await mkdir(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const logger = createLogger({ level: common.logLevel, destination: pino.destination({ dest: join(dataDir, 'logs', 'overcast.log'), mkdir: true, sync: false }) });
  const { secrets, firstStart } = await loadOrCreateSecrets(dataDir, sources.env['OVERCAST_ADMIN_PASSWORD']);
  const env: Record<string, string | undefined> = { ...sources.env, OVERCAST_DATA_DIR: dataDir };
  for (const [name, password] of Object.entries(secrets.servicePasswords)) {
    env[`OVERCAST_${name.toUpperCase().replace(/-/g, '_')}_SERVICE_PASSWORD`] = password;
  }
  const settings = serviceSettings({ ...sources, env });
  // The other services find identity where this process serves it.
  env['OVERCAST_IDENTITY_URL'] ??= `http://${common.bindHost}:${settings.identity().port}`;
  // Block storage and compute call the image, network and block-storage services of this process.
  const localUrl = (service: 'image' | 'network' | 'block-storage') => `http://${common.bindHost}:${settings[service]().port}`;
  env['OVERCAST_BLOCK_STORAGE_IMAGE_URL'] ??= localUrl('image');
  env['OVERCAST_COMPUTE_IMAGE_URL'] ??= localUrl('image');
  env['OVERCAST_COMPUTE_NETWORK_URL'] ??= localUrl('network');
  env['OVERCAST_COMPUTE_BLOCK_STORAGE_URL'] ??= localUrl('block-storage');
  const aioSources = { ...sources, env };
  const aioCommon = loadConfig(commonSettings, '', aioSources);

  const identitySettings = settings.identity();
  const startIdentity = async (): Promise<StartedService> => {
    await KeyRing.initialize(identityKeyDir(aioCommon, identitySettings));
    const identity = await startService('identity', aioCommon, aioSources, logger, true);
    if (firstStart) {
      const ports = Object.fromEntries(SERVICE_NAMES.map((name) => [name, settings[name]().port]));
      await bootstrapIdentity(identity.database.dataSource, {
        adminPassword: secrets.adminPassword,
        region: aioCommon.region,
        serviceUsers: Object.entries(secrets.servicePasswords).map(([name, password]) => ({ name, password })),
        catalog: CATALOG.map((entry) => ({ ...entry, url: `http://${aioCommon.publicHost}:${ports[entry.service]}${entry.path}` })),
      });
      await writeClientConfig(dataDir, { authUrl: `http://${aioCommon.publicHost}:${identitySettings.port}/v3`, password: secrets.adminPassword, region: aioCommon.region });
    }
    return identity;
  };
  // The others need identity only when a request arrives, so all five start side by side.
  const outcomes = await Promise.allSettled([
    startIdentity(),
    ...SERVICE_NAMES.filter((service) => service !== 'identity').map((name) => startService(name, aioCommon, aioSources, logger, true)),
  ]);
  const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const stopAll = async () => {
    for (const service of [...started].reverse()) {
      await stopService(service);
    }
  };
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason;
  }
  // Up means every service can judge tokens: each has loaded identity's revocation list.
  await Promise.all(started.map((service) => service.http.app.get(RevocationList, { strict: false }).whenLoaded));
  // This host's network agent, when one is configured: it wires ports with the real Linux bridge or OVS.
  const networkAgent = await startNetworkAgent(aioCommon, aioSources, logger).catch(async (error: unknown) => {
    await stopAll();
    throw error;
  });
  // This host's volume agent, always: the configured backends, or qcow2 files under the data dir.
  const localVolumes = join(dataDir, 'volumes');
  await mkdir(localVolumes, { recursive: true });
  const volumeAgent = await startVolumeAgent(aioCommon, aioSources, logger, [localVolumeBackend(localVolumes)]).catch(async (error: unknown) => {
    await networkAgent?.close();
    await stopAll();
    throw error;
  });

  // This host's compute agent, always: libvirt (QEMU, KVM where a probe boot shows it works) unless configured otherwise.
  const computeAgent = await startComputeAgent(aioCommon, aioSources, logger).catch(async (error: unknown) => {
    await volumeAgent.close();
    await networkAgent?.close();
    await stopAll();
    throw error;
  });

  for (const service of started) {
    console.log(`${service.http.name.padEnd(14)} ${service.http.url}`);
  }
  const agentSettings = networkAgent?.agent.describe();
  console.log(`${'network-agent'.padEnd(14)} ${agentSettings ?? 'none: set OVERCAST_NETWORK_AGENT_DRIVER (linuxbridge or ovs) to wire ports on this host'}`);
  volumeAgent.agent.describe().forEach((backend, index) => console.log(`${(index === 0 ? 'volume-agent' : '').padEnd(14)} ${backend}`));
  console.log(`${'compute-agent'.padEnd(14)} ${computeAgent.agent.describe()}`);
  console.log(`Overcast all-in-one is up in ${((performance.now() - startedAt) / 1000).toFixed(2)} s; data in ${dataDir}`);
  console.log(`  OS_CLIENT_CONFIG_FILE=${join(dataDir, 'clouds.yaml')} OS_CLOUD=overcast openstack token issue`);

  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      console.log(`${signal}: stopping`);
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await computeAgent.close();
  await volumeAgent.close();
  await networkAgent?.close();
  await stopAll();
  logger.flush();
}
