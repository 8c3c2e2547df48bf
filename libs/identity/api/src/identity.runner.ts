import { type CommonSettings, type Logger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { type Database, openDatabase } from '@overcast/shared/db';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS, RevocationEventEntity } from '@overcast/identity/data-access';
import { join } from 'node:path';
import { type IdentitySettings } from './identity.config';
import { IdentityModule } from './identity.module';
import { KeyStore } from './keys/key-store';
import { loadRecentRevocations } from './revocations/revocation.service';

export function openIdentityDatabase(common: CommonSettings, settings: IdentitySettings): Promise<Database> {
  return openDatabase({ url: settings.databaseUrl, dataDir: common.dataDir, embeddedTemplate: common.embeddedDatabaseTemplate, service: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
}

export function identityKeyDir(common: CommonSettings, settings: IdentitySettings): string {
  return settings.keyDir ?? join(common.dataDir, 'identity', 'keys');
}

/** Serves the identity API on an open, migrated database; refuses a schema that is behind the code. */
export async function startIdentity(options: { common: CommonSettings; settings: IdentitySettings; database: Database; logger: Logger }): Promise<RunningHttpService> {
  const { common, settings, database, logger } = options;
  if (await database.hasPendingMigrations()) {
    throw new Error('the identity database schema is behind this release: run "overcast db sync identity" first');
  }
  const keys = await KeyStore.open(identityKeyDir(common, settings), (error) => logger.error({ err: error }, 'reloading signing keys failed; keeping the previous ones'));
  const revocationEvents = database.dataSource.getRepository(RevocationEventEntity);
  return startHttpService({
    name: 'identity',
    module: IdentityModule.forRoot({
      common,
      settings,
      dataSource: database.dataSource,
      keys,
      revocations: { load: () => loadRecentRevocations(revocationEvents, settings.tokenExpirationSeconds) },
    }),
    errorFormat: 'keystone',
    authenticateUri: common.identityUrl,
    host: common.bindHost,
    port: settings.port,
    logger,
    healthChecks: [database.healthCheck],
  });
}
