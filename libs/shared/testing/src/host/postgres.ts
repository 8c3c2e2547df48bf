import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../ports';
import { runInNamespace } from './netns-lab';
import { runCommand } from './processes';

/** A PostgreSQL server of the test's own, which it may stop and start (the machine's shared one it must not touch). */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication on loopback). */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** Runs SQL as `postgres` (in the server's namespace); what psql prints, unaligned. */
  sql(statements: string): Promise<string>;
  /** Stops the server as an operator's restart would (fast shutdown: sessions are cut). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/** Debian's PostgreSQL server binaries (`/usr/lib/postgresql/<version>/bin`), the newest installed. */
async function binDirectory(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [])).sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) {
    throw new Error('PostgreSQL server binaries are not installed (Debian package postgresql)');
  }
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

export interface PrivatePostgresOptions {
  /** A network namespace to run in (a simulated host): its own loopback, so it serves on the standard port there. */
  namespace?: string;
}

/**
 * Starts a throwaway PostgreSQL cluster on loopback, owned by the `postgres` user (the server refuses to run
 * as root), with fsync off: its data lives only as long as the test. Trust authentication: any
 * role logs in with any password.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = await binDirectory();
  const directory = await mkdtemp(join(tmpdir(), 'overcast-pg-'));
  const data = join(directory, 'data');
  const { namespace } = options;
  const port = namespace === undefined ? await freePort() : 5432;
  const run = (command: string, args: string[]) => (namespace === undefined ? runCommand(command, args) : runInNamespace(namespace, command, args));
  const asPostgres = (command: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]);
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const sql = (statements: string) => run('psql', ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', statements]);
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(directory, 'server.log'), '-w', 'start']);
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  try {
    await chown(directory, ...(await postgresIds()));
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await start();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    createDatabase: async (name) => {
      await sql(`CREATE DATABASE "${name}"`);
    },
    sql,
    stop,
    start,
    close: async () => {
      await stop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const [uid, gid] = await Promise.all([runCommand('id', ['-u', 'postgres']), runCommand('id', ['-g', 'postgres'])]);
  return [Number(uid.trim()), Number(gid.trim())];
}
