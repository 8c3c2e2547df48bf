import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

async function runInitdb(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', INITDB_SCRIPT, require.resolve('@electric-sql/pglite'), dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initializing the embedded database in ${dataDir} failed: ${errors.trim()}`))));
  });
}

const isCluster = (dataDir: string) => existsSync(join(dataDir, 'PG_VERSION'));

/**
 * Fills a fresh directory beside `target` and renames it into place, so that `target` is never half
 * made (a crash, a full disk) and another process making the same one at once costs time, not data.
 */
async function createWhole(target: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const staging = await mkdtemp(`${target}-`);
  try {
    await fill(staging);
    await rename(staging, target).catch((error: unknown) => {
      if (!isCluster(target)) {
        throw error;
      }
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Templates this process is making: the all-in-one's five services start side by side. */
const templatesBeingMade = new Map<string, Promise<void>>();

/**
 * A new database starts as a copy of the pristine cluster kept at `template`, made on first use:
 * initdb costs seconds of CPU, and its cluster is the same for every service.
 */
async function initializeDataDir(dataDir: string, template: string): Promise<void> {
  if (isCluster(dataDir)) {
    return;
  }
  if (!isCluster(template)) {
    let making = templatesBeingMade.get(template);
    if (making === undefined) {
      making = mkdir(dirname(template), { recursive: true, mode: 0o700 })
        .then(() => createWhole(template, runInitdb))
        .finally(() => templatesBeingMade.delete(template));
      templatesBeingMade.set(template, making);
    }
    await making;
  }
  await createWhole(dataDir, (staging) => cp(template, staging, { recursive: true }));
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
export async function startEmbeddedPostgres(dataDir: string, template: string, maxConnections: number): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await initializeDataDir(dataDir, template);
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
