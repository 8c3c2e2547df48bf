import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually';
import { freePort } from '../ports';
import { runCommand } from './processes';

/** A RabbitMQ node of the test's own, which it may stop and start (the machine's shared one it must not touch). */
export interface PrivateRabbitmq {
  /** `amqp://guest:guest@127.0.0.1:<port>` (guest may connect from loopback, in the node's namespace). */
  url: string;
  /** Runs `rabbitmqctl` against the node (users, virtual hosts…), `input` on its standard input; what it prints. */
  ctl(args: string[], input?: string): Promise<string>;
  /** Stops the node as a crash or an operator's restart would: connections drop, durable queues stay on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same data; resolves once it takes connections. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

export interface PrivateRabbitmqOptions {
  /** A network namespace to run in (a simulated host): its own loopback and epmd, so the standard ports are free there. */
  namespace?: string;
}

/** How long a node may take to start: the Erlang VM and RabbitMQ's boot steps take several seconds on 2 cores. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts a throwaway RabbitMQ node (Debian's rabbitmq-server, as the `rabbitmq` user) with its own
 * name, data and logs under a temporary directory: on free loopback ports, or in a namespace on
 * the standard port (5672, all of the namespace's addresses).
 */
export async function startPrivateRabbitmq(options: PrivateRabbitmqOptions = {}): Promise<PrivateRabbitmq> {
  const { namespace } = options;
  const directory = await mkdtemp(join(tmpdir(), 'overcast-rabbitmq-'));
  const [port, distributionPort] = namespace === undefined ? [await freePort(), await freePort()] : [5672, 25672];
  const nodeName = `overcast-test-${randomBytes(4).toString('hex')}@localhost`;
  const environment = {
    // The node makes its Erlang cookie here; rabbitmqctl is given it (Debian's wrapper resets HOME).
    HOME: directory,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: namespace === undefined ? '127.0.0.1' : '0.0.0.0',
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
  const asRabbitmq = ['runuser', '-u', 'rabbitmq', '--', 'env', ...Object.entries(environment).map(([name, value]) => `${name}=${value}`)];
  const inNamespace = (command: string[]) => (namespace === undefined ? command : ['ip', 'netns', 'exec', namespace, ...command]);
  const ctl = async (args: string[], input?: string) => {
    const cookie = (await readFile(join(directory, '.erlang.cookie'), 'utf8')).trim();
    const [command = '', ...rest] = inNamespace([...asRabbitmq, 'rabbitmqctl', '--erlang-cookie', cookie, '-n', nodeName, '-q', ...args]);
    return runCommand(command, rest, START_TIMEOUT_MS, input);
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let node: ChildProcess | undefined;

  const start = async () => {
    const [command = '', ...args] = inNamespace([...asRabbitmq, 'rabbitmq-server']);
    // Its own process group: stopping it stops the Erlang VM the start script runs.
    node = spawn(command, args, { detached: true, stdio: 'ignore' });
    const started = node;
    // The cookie rabbitmqctl needs exists once the node has started; await_startup then waits for its boot steps (listeners included).
    const up = () => ctl(['await_startup', '--timeout', String(START_TIMEOUT_MS / 1000)]).then(() => true, () => false);
    const ready = await eventually(async () => started.exitCode !== null || (await up()), (done) => done, START_TIMEOUT_MS);
    if (started.exitCode !== null) {
      throw new Error(`rabbitmq-server exited with ${started.exitCode}; see ${environment.RABBITMQ_LOG_BASE}`);
    }
    if (!ready) {
      throw new Error(`the private RabbitMQ node did not start within ${START_TIMEOUT_MS / 1000} s`);
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
    ctl,
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
