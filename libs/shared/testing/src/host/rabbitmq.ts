import { connect } from 'amqplib';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually';
import { freePort } from '../ports';
import { runCommand } from './processes';

/** A RabbitMQ node of the test's own, which it may stop and start (the machine's shared one it must not touch). */
export interface PrivateRabbitmq {
  /** `amqp://guest:guest@127.0.0.1:<port>` (guest may connect from loopback). */
  url: string;
  /** Stops the node as a crash or an operator's restart would: connections drop, durable queues stay on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same data; resolves once it takes connections. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/** How long a node may take to start: the Erlang VM and RabbitMQ's boot steps take several seconds on 2 cores. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts a throwaway RabbitMQ node (Debian's rabbitmq-server, as the `rabbitmq` user) on free
 * loopback ports, with its own name, data and logs under a temporary directory.
 */
export async function startPrivateRabbitmq(): Promise<PrivateRabbitmq> {
  const directory = await mkdtemp(join(tmpdir(), 'overcast-rabbitmq-'));
  const [port, distributionPort] = [await freePort(), await freePort()];
  const environment = {
    HOME: directory,
    RABBITMQ_NODENAME: `overcast-test-${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distributionPort),
    RABBITMQ_MNESIA_BASE: join(directory, 'mnesia'),
    RABBITMQ_LOG_BASE: join(directory, 'log'),
    RABBITMQ_PID_FILE: join(directory, 'node.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(directory, 'enabled_plugins'),
    // Files that do not exist: the defaults, not the machine's /etc/rabbitmq.
    RABBITMQ_CONFIG_FILE: join(directory, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(directory, 'advanced.config'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let node: ChildProcess | undefined;

  const start = async () => {
    const variables = Object.entries(environment).map(([name, value]) => `${name}=${value}`);
    // Its own process group: stopping it stops the Erlang VM the start script runs.
    node = spawn('runuser', ['-u', 'rabbitmq', '--', 'env', ...variables, 'rabbitmq-server'], { detached: true, stdio: 'ignore' });
    const started = node;
    const accepts = async () => {
      if (started.exitCode !== null) {
        throw new Error(`rabbitmq-server exited with ${started.exitCode}; see ${environment.RABBITMQ_LOG_BASE}`);
      }
      return connect(url).then(
        async (connection) => {
          await connection.close();
          return true;
        },
        () => false,
      );
    };
    if (!(await eventually(accepts, (ready) => ready, START_TIMEOUT_MS))) {
      throw new Error(`the private RabbitMQ node did not take connections within ${START_TIMEOUT_MS / 1000} s`);
    }
  };
  const stop = async () => {
    const running = node;
    if (running?.pid === undefined || running.exitCode !== null) {
      return;
    }
    const group = running.pid;
    process.kill(-group, 'SIGTERM');
    // The Erlang VM shuts down after the start script's wrapper has gone: wait for the whole group.
    if (await eventually(async () => processGroupAlive(group), (alive) => !alive, START_TIMEOUT_MS)) {
      throw new Error(`the private RabbitMQ node (process group ${group}) did not stop`);
    }
  };

  try {
    await runCommand('chown', ['rabbitmq:rabbitmq', directory]);
    await start();
  } catch (error) {
    await stop().catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    start,
    stop,
    close: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function processGroupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}
