import { join } from 'node:path';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseOptions {
  /** `embedded`, or a postgres:// URL of the service's own database. */
  url: string;
  /** Where embedded data lives (`<dataDir>/db/<service>`). */
  dataDir: string;
  /** The pristine cluster a new embedded database is copied from, made there on first use (default `<dataDir>/db/.initdb`). */
  embeddedTemplate?: string;
  service: string;
  entities: MixedList<EntitySchema | (new () => unknown)>;
  migrations: MixedList<new () => unknown>;
  poolSize?: number;
}

export interface Database {
  dataSource: DataSource;
  /** Applies pending migrations; returns the names of those applied. */
  migrate(): Promise<string[]>;
  /** True when the schema is behind the code (start-up refuses to serve then). */
  hasPendingMigrations(): Promise<boolean>;
  /** For the service's `/healthcheck`: resolves when the database answers a query. */
  healthCheck: { name: string; check(): Promise<void> };
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  // PGlite is one session, and its socket server interleaves the extended-protocol messages of
  // connections that are outside a transaction: one connection's Bind can meet another's Parse
  // ("unnamed prepared statement does not exist", or worse, the wrong statement). One pooled
  // connection keeps every query whole; the single session serialised them anyway.
  const poolSize = options.url === 'embedded' ? 1 : (options.poolSize ?? 10);
  let embedded: EmbeddedPostgres | undefined;
  let connection: { url: string } | { host: string; port: number; username: string; database: string };
  if (options.url === 'embedded') {
    embedded = await startEmbeddedPostgres(join(options.dataDir, 'db', options.service), options.embeddedTemplate ?? join(options.dataDir, 'db', '.initdb'), poolSize + 2);
    connection = { host: embedded.socketDir, port: embedded.port, username: 'postgres', database: 'postgres' };
  } else {
    connection = { url: options.url };
  }

  const dataSource = new DataSource({
    type: 'postgres',
    ...connection,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    poolSize,
    applicationName: `overcast-${options.service}`,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.close();
    throw error;
  }

  return {
    dataSource,
    async migrate() {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    },
    hasPendingMigrations: () => dataSource.showMigrations(),
    healthCheck: {
      name: 'database',
      async check() {
        await dataSource.query('SELECT 1');
      },
    },
    async close() {
      // A framework that was handed the data source may already have destroyed it.
      if (dataSource.isInitialized) {
        await dataSource.destroy();
      }
      await embedded?.close();
    },
  };
}
