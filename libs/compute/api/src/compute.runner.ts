import { COMPUTE_ENTITIES, COMPUTE_MIGRATIONS } from '@overcast/compute/data-access';
import { type CommonSettings, type Logger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { type Database, openDatabase } from '@overcast/shared/db';
import { type ComputeSettings } from './compute.config';
import { legacyV2Paths } from './common/legacy-v2';
import { ComputeModule } from './compute.module';

export function openComputeDatabase(common: CommonSettings, settings: ComputeSettings): Promise<Database> {
  return openDatabase({ url: settings.databaseUrl, dataDir: common.dataDir, embeddedTemplate: common.embeddedDatabaseTemplate, service: 'compute', entities: COMPUTE_ENTITIES, migrations: COMPUTE_MIGRATIONS });
}

/** Serves the compute API on an open, migrated database; refuses a schema that is behind the code. */
export async function startCompute(options: { common: CommonSettings; settings: ComputeSettings; database: Database; logger: Logger }): Promise<RunningHttpService> {
  const { common, settings, database, logger } = options;
  if (await database.hasPendingMigrations()) {
    throw new Error('the compute database schema is behind this release: run "overcast db sync compute" first');
  }
  return startHttpService({
    name: 'compute',
    module: ComputeModule.forRoot({ common, settings, dataSource: database.dataSource }),
    errorFormat: 'nova',
    authenticateUri: common.identityUrl,
    host: common.bindHost,
    port: settings.port,
    logger,
    healthChecks: [database.healthCheck],
    beforeRouting: [legacyV2Paths],
  });
}
