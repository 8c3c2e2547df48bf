import { blockStorageSettings, openBlockStorageDatabase, startBlockStorage } from '@overcast/block-storage/api';
import { computeSettings, openComputeDatabase, startCompute } from '@overcast/compute/api';
import { identitySettings, openIdentityDatabase, startIdentity } from '@overcast/identity/api';
import { imageSettings, openImageDatabase, startImage } from '@overcast/image/api';
import { networkSettings, openNetworkDatabase, startNetwork } from '@overcast/network/api';
import { type CommonSettings, type ConfigSources, loadConfig, type Logger, type RunningHttpService } from '@overcast/shared/core';
import { type Database } from '@overcast/shared/db';

export const SERVICE_NAMES = ['identity', 'compute', 'image', 'network', 'block-storage'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface StartedService {
  http: RunningHttpService;
  database: Database;
}

/** How each service appears in the catalog: type, Keystone-era name, port and path. */
export const CATALOG = [
  { service: 'identity', type: 'identity', name: 'keystone', description: 'Identity (Keystone v3)', path: '/v3' },
  { service: 'compute', type: 'compute', name: 'nova', description: 'Compute (Nova v2.1)', path: '/v2.1' },
  { service: 'image', type: 'image', name: 'glance', description: 'Image (Glance v2)', path: '' },
  { service: 'network', type: 'network', name: 'neutron', description: 'Network (Neutron v2.0)', path: '' },
  { service: 'block-storage', type: 'volumev3', name: 'cinderv3', description: 'Block Storage (Cinder v3)', path: '/v3/$(project_id)s' },
  { service: 'block-storage', type: 'block-storage', name: 'cinder', description: 'Block Storage (Cinder v3)', path: '/v3/$(project_id)s' },
] as const;

/** Each service's settings section, validated; a wrong one stops start-up naming the setting. */
export function serviceSettings(sources: ConfigSources) {
  return {
    identity: () => loadConfig(identitySettings, 'identity', sources),
    compute: () => loadConfig(computeSettings, 'compute', sources),
    image: () => loadConfig(imageSettings, 'image', sources),
    network: () => loadConfig(networkSettings, 'network', sources),
    'block-storage': () => loadConfig(blockStorageSettings, 'block-storage', sources),
  } satisfies Record<ServiceName, () => { port: number }>;
}

/** Starts a service on its own database, migrated first when asked; the database closes if start-up fails. */
async function withDatabase(database: Database, migrate: boolean, start: (database: Database) => Promise<RunningHttpService>): Promise<StartedService> {
  try {
    if (migrate) {
      await database.migrate();
    }
    return { http: await start(database), database };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** A service's database, opened (not migrated). */
export function openServiceDatabase(name: ServiceName, common: CommonSettings, sources: ConfigSources): Promise<Database> {
  const settings = serviceSettings(sources);
  switch (name) {
    case 'identity':
      return openIdentityDatabase(common, settings.identity());
    case 'image':
      return openImageDatabase(common, settings.image());
    case 'network':
      return openNetworkDatabase(common, settings.network());
    case 'block-storage':
      return openBlockStorageDatabase(common, settings['block-storage']());
    case 'compute':
      return openComputeDatabase(common, settings.compute());
  }
}

export async function startService(name: ServiceName, common: CommonSettings, sources: ConfigSources, logger: Logger, migrate: boolean): Promise<StartedService> {
  const settings = serviceSettings(sources);
  switch (name) {
    case 'identity': {
      const identity = settings.identity();
      return withDatabase(await openIdentityDatabase(common, identity), migrate, (database) => startIdentity({ common, settings: identity, database, logger }));
    }
    case 'compute': {
      const compute = settings.compute();
      return withDatabase(await openComputeDatabase(common, compute), migrate, (database) => startCompute({ common, settings: compute, database, logger }));
    }
    case 'image': {
      const image = settings.image();
      return withDatabase(await openImageDatabase(common, image), migrate, (database) => startImage({ common, settings: image, database, logger }));
    }
    case 'network': {
      const network = settings.network();
      return withDatabase(await openNetworkDatabase(common, network), migrate, (database) => startNetwork({ common, settings: network, database, logger }));
    }
    case 'block-storage': {
      const blockStorage = settings['block-storage']();
      return withDatabase(await openBlockStorageDatabase(common, blockStorage), migrate, (database) => startBlockStorage({ common, settings: blockStorage, database, logger }));
    }
  }
}

export async function stopService(service: StartedService): Promise<void> {
  await service.http.close();
  await service.database.close();
}
