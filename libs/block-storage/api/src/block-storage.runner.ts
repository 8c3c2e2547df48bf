import { BLOCK_STORAGE_ENTITIES, BLOCK_STORAGE_MIGRATIONS } from '@overcast/block-storage/data-access';
import { type CommonSettings, type Logger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { type Database, openDatabase } from '@overcast/shared/db';
import { type BlockStorageSettings } from './block-storage.config';
import { BlockStorageModule } from './block-storage.module';

export function openBlockStorageDatabase(common: CommonSettings, settings: BlockStorageSettings): Promise<Database> {
  return openDatabase({ url: settings.databaseUrl, dataDir: common.dataDir, embeddedTemplate: common.embeddedDatabaseTemplate, service: 'block-storage', entities: BLOCK_STORAGE_ENTITIES, migrations: BLOCK_STORAGE_MIGRATIONS });
}

/** Serves the block-storage API on an open, migrated database; refuses a schema that is behind the code. */
export async function startBlockStorage(options: { common: CommonSettings; settings: BlockStorageSettings; database: Database; logger: Logger }): Promise<RunningHttpService> {
  const { common, settings, database, logger } = options;
  if (await database.hasPendingMigrations()) {
    throw new Error('the block-storage database schema is behind this release: run "overcast db sync block-storage" first');
  }
  return startHttpService({
    name: 'block-storage',
    module: BlockStorageModule.forRoot({ common, settings, dataSource: database.dataSource }),
    errorFormat: 'nova',
    authenticateUri: common.identityUrl,
    host: common.bindHost,
    port: settings.port,
    logger,
    healthChecks: [database.healthCheck],
  });
}
