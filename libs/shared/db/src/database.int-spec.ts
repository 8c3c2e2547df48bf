import { createTestDatabase, type TestDatabase } from '@overcast/shared/testing';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { type Database, openDatabase } from './database';
import { isUniqueViolation } from './unique-violation';

class CreateThings1700000000000 implements MigrationInterface {
  name = 'CreateThings1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE thing (id text PRIMARY KEY, tags text[] NOT NULL DEFAULT \'{}\', extra jsonb NOT NULL DEFAULT \'{}\')');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE thing');
  }
}

describe.each(['embedded', 'postgres'] as const)('openDatabase (%s)', (mode) => {
  let dataDir: string;
  let testDb: TestDatabase | undefined;
  let database: Database;

  const open = () =>
    openDatabase({ url: testDb?.url ?? 'embedded', dataDir, service: 'things', entities: [], migrations: [CreateThings1700000000000] });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overcast-db-'));
    testDb = mode === 'postgres' ? await createTestDatabase() : undefined;
    database = await open();
  });

  afterAll(async () => {
    await database.close();
    await testDb?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports pending migrations, applies them once, and keeps data across a reopen', async () => {
    expect(await database.hasPendingMigrations()).toBe(true);
    expect(await database.migrate()).toEqual(['CreateThings1700000000000']);
    expect(await database.migrate()).toEqual([]);
    await database.dataSource.query(`INSERT INTO thing (id, tags, extra) VALUES ('a', '{x,y}', '{"k": 1}')`);

    await database.close();
    database = await open();
    expect(await database.hasPendingMigrations()).toBe(false);
    expect(await database.dataSource.query('SELECT * FROM thing')).toEqual([{ id: 'a', tags: ['x', 'y'], extra: { k: 1 } }]);
  });

  it('serves concurrent transactions through the pool without mixing them', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        database.dataSource.transaction(async (manager) => {
          await manager.query('INSERT INTO thing (id) VALUES ($1)', [`c${i}`]);
          if (i % 4 === 0) {
            throw new Error('roll back');
          }
        }).catch(() => undefined),
      ),
    );
    const [{ count }] = await database.dataSource.query(`SELECT count(*)::int AS count FROM thing WHERE id LIKE 'c%'`);
    expect(count).toBe(30);
  });

  it('recognises a unique violation', async () => {
    const error = await database.dataSource.query(`INSERT INTO thing (id) VALUES ('a')`).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});

describe('embedded databases of one data dir', () => {
  let dataDir: string;
  const opened: Database[] = [];
  const open = async (service: string) => {
    const database = await openDatabase({ url: 'embedded', dataDir, service, entities: [], migrations: [CreateThings1700000000000] });
    opened.push(database);
    return database;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overcast-db-'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('start side by side from one pristine cluster, kept for the next one, which starts as a copy of it', async () => {
    const first = await Promise.all(['a', 'b', 'c'].map(open));
    for (const database of first) {
      expect(await database.migrate()).toEqual(['CreateThings1700000000000']);
    }
    expect((await readdir(join(dataDir, 'db'))).sort()).toEqual(['.initdb', 'a', 'b', 'c']);

    // A mark in the kept cluster shows up in the next database: it was copied, not made by initdb.
    await writeFile(join(dataDir, 'db', '.initdb', 'copied-from-template'), '');
    const next = await open('d');
    expect(await next.migrate()).toEqual(['CreateThings1700000000000']);
    expect(await readdir(join(dataDir, 'db', 'd'))).toContain('copied-from-template');
  });
});
