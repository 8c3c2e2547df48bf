import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Postgres wire port PGlite answers on; it only names the socket file (`.s.PGSQL.<port>`). */
const SOCKET_PORT = 5432;

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
  const db = await PGlite.create({ dataDir });
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
