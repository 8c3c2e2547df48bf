import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** The real PostgreSQL the integration tests use (trust auth on this machine and in CI). */
export const TEST_POSTGRES_URL = process.env['OVERCAST_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const PGLITE_VERSION = (JSON.parse(readFileSync(join(require.resolve('@electric-sql/pglite'), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The setting that gives every embedded database of the tests on this machine one pristine cluster
 * to copy (per PGlite version), instead of an initdb per data dir: seconds of CPU each, hundreds a run.
 */
export const SHARED_EMBEDDED_TEMPLATE = { OVERCAST_EMBEDDED_DATABASE_TEMPLATE: join(tmpdir(), `overcast-embedded-template-pglite-${PGLITE_VERSION}`) };

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database, so tests run in parallel without seeing each other's rows. */
export async function createTestDatabase(prefix = 'overcast_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
