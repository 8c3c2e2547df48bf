import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Postgres wire port PGlite answers on; it only names the socket file (`.s.PGSQL.<port>`). */
const SOCKET_PORT = 5432;

/**
 * Postgres' default 128 MB of shared buffers sit in the WASM heap whether used or not; a service's
 * embedded database is small, so 16 MB keeps it cached while halving the all-in-one's memory.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * initdb grows a WASM heap of ~600 MB that V8 keeps until it happens to collect it, and a worker
 * thread still leaves ~130 MB of it behind; a short-lived child process gives all of it back.
 */
const INITDB_SCRIPT = `
const [pglite, dataDir] = process.argv.slice(1);
require(pglite).PGlite.create({ dataDir }).then((db) => db.close());
`;

async function initializeDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    return;
  }
  const child = spawn(process.execPath, ['-e', INITDB_SCRIPT, require.resolve('@electric-sql/pglite'), dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initializing the embedded database in ${dataDir} failed: ${errors.trim()}`))));
  });
}

export interface EmbeddedPostgres {
  /** Directory holding the server's unix socket: pg's `host`. */
  socketDir: string;
  port: number;
  close(): Promise<void>;
}

/**
 * PGlite (PostgreSQL compiled to WASM) serving the ordinary Postgres protocol on a unix socket in a
 * private 0700 directory, so the same `pg` driver and SQL run in both modes and no other local
 * user can reach the trust-authenticated database.
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await initializeDataDir(dataDir);
  const db = await PGlite.create({ dataDir, startParams: START_PARAMS });
  const socketDir = await mkdtemp(join(tmpdir(), 'overcast-pg-'));
  const server = new PGLiteSocketServer({ db, path: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`), maxConnections });
  await server.start();
  return {
    socketDir,
    port: SOCKET_PORT,
    async close() {
      await server.stop();
      await db.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}
