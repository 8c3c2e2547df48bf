import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from '@overcast/network/data-access';
import { type CommonSettings, type Logger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { type Database, openDatabase } from '@overcast/shared/db';
import { type NetworkSettings } from './network.config';
import { NetworkModule } from './network.module';

export function openNetworkDatabase(common: CommonSettings, settings: NetworkSettings): Promise<Database> {
  return openDatabase({ url: settings.databaseUrl, dataDir: common.dataDir, embeddedTemplate: common.embeddedDatabaseTemplate, service: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS });
}

/** Serves the network API on an open, migrated database; refuses a schema that is behind the code. */
export async function startNetwork(options: { common: CommonSettings; settings: NetworkSettings; database: Database; logger: Logger }): Promise<RunningHttpService> {
  const { common, settings, database, logger } = options;
  if (await database.hasPendingMigrations()) {
    throw new Error('the network database schema is behind this release: run "overcast db sync network" first');
  }
  return startHttpService({
    name: 'network',
    module: NetworkModule.forRoot({ common, settings, dataSource: database.dataSource }),
    errorFormat: 'neutron',
    authenticateUri: common.identityUrl,
    host: common.bindHost,
    port: settings.port,
    logger,
    healthChecks: [database.healthCheck],
  });
}
