import { IMAGE_ENTITIES, IMAGE_MIGRATIONS } from '@overcast/image/data-access';
import { createImageStore, type ImageStore } from '@overcast/image/drivers';
import { type CommonSettings, type Logger, type RunningHttpService, startHttpService } from '@overcast/shared/core';
import { type Database, openDatabase } from '@overcast/shared/db';
import { join } from 'node:path';
import { ImageStores } from './data/image-stores';
import { type ImageSettings, type StoreSettings } from './image.config';
import { ImageModule } from './image.module';

export function openImageDatabase(common: CommonSettings, settings: ImageSettings): Promise<Database> {
  return openDatabase({ url: settings.databaseUrl, dataDir: common.dataDir, embeddedTemplate: common.embeddedDatabaseTemplate, service: 'image', entities: IMAGE_ENTITIES, migrations: IMAGE_MIGRATIONS });
}

/** A configured store, with a file store's directory defaulting to `<dataDir>/image/<id>`. */
function openStore(common: CommonSettings, settings: StoreSettings): Promise<ImageStore> {
  return createImageStore(settings.driver === 'file' ? { ...settings, directory: settings.directory ?? join(common.dataDir, 'image', settings.id) } : settings);
}

/** Serves the image API on an open, migrated database; refuses a schema that is behind the code. */
export async function startImage(options: { common: CommonSettings; settings: ImageSettings; database: Database; logger: Logger }): Promise<RunningHttpService> {
  const { common, settings, database, logger } = options;
  if (await database.hasPendingMigrations()) {
    throw new Error('the image database schema is behind this release: run "overcast db sync image" first');
  }
  const stores = new ImageStores(await Promise.all(settings.stores.map((store) => openStore(common, store))), settings.defaultStore);
  return startHttpService({
    name: 'image',
    module: ImageModule.forRoot({ common, settings, dataSource: database.dataSource, stores }),
    errorFormat: 'glance',
    authenticateUri: common.identityUrl,
    host: common.bindHost,
    port: settings.port,
    logger,
    healthChecks: [database.healthCheck],
  });
}
