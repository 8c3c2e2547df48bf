import { envName } from '@overcast/shared/core';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Daemon, waitUntil } from './child-process';
import { freePort } from './ports';
import { SHARED_EMBEDDED_TEMPLATE } from './test-database';

const run = promisify(execFile);
/** The operator command of this checkout, which the end-to-end tests run as users do. */
const OVERCAST_BIN = join(__dirname, '..', '..', '..', '..', 'apps', 'overcast', 'bin', 'overcast.js');

/**
 * The environment of this test process without anything Overcast or jest put there, so a developer's
 * own OVERCAST_* settings (a config file, a database) cannot leak into the processes under test.
 */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('OVERCAST_') && !name.startsWith('OS_') && name !== 'NODE_OPTIONS' && !name.startsWith('JEST_')) {
      env[name] = value;
    }
  }
  return env;
}

/** The command line of `overcast <args>`, inside a network namespace (a simulated host) if one is given. */
function overcastCommand(args: string[], namespace?: string): [string, string[]] {
  const command: [string, string[]] = [process.execPath, [OVERCAST_BIN, ...args]];
  return namespace === undefined ? command : ['ip', ['netns', 'exec', namespace, command[0], ...command[1]]];
}

/** Runs `overcast <args>` to completion; rejects with its output when it exits non-zero. */
export async function overcast(args: string[], env: Record<string, string>, namespace?: string): Promise<string> {
  try {
    const { stdout } = await run(...overcastCommand(args, namespace), { env, timeout: 60_000 });
    return stdout;
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(`overcast ${args.join(' ')} failed (${String(code)}):\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** A long-running `overcast` command (`serve …`, `aio`) started as a child process (`ip netns exec` execs it: the PID is its own). */
export function startOvercast(name: string, args: string[], env: Record<string, string>, namespace?: string): Daemon {
  return Daemon.start(name, ...overcastCommand(args, namespace), { env });
}

/** Pause between probes of an `overcast` process (readiness, a revocation reaching a service). */
const POLL_INTERVAL_MS = 25;

/** Polls `<url>/healthcheck` until it answers 200; fails at once if the process dies. */
export function waitUntilHealthy(daemon: Daemon, url: string, timeoutMs: number): Promise<void> {
  const healthy = async () => (await fetch(`${url}/healthcheck`, { signal: AbortSignal.timeout(2000) })).status === 200;
  return waitUntil(`${daemon.name} answers ${url}/healthcheck`, healthy, [daemon], timeoutMs, POLL_INTERVAL_MS);
}

/** Waits until the process has written `text`; fails at once if it dies first. */
export function waitForOutput(daemon: Daemon, text: string, timeoutMs: number): Promise<void> {
  return waitUntil(`${daemon.name} writes "${text}"`, async () => daemon.hasWritten(text), [daemon], timeoutMs, POLL_INTERVAL_MS);
}

/** The five services, each with its API, in the order the all-in-one starts them. */
export const API_SERVICES = ['identity', 'compute', 'image', 'network', 'block-storage'] as const;

export interface AllInOne {
  dataDir: string;
  /** Base URL of each service's API. */
  urls: Record<(typeof API_SERVICES)[number], string>;
  process: Daemon;
  /** Stops it (SIGTERM) and removes its data dir. */
  close(): Promise<void>;
}

/** `overcast aio` on free ports and a fresh data dir, once it says it is up (bootstrapped, all APIs listening). */
export async function startAllInOne(adminPassword: string, settings: Record<string, string> = {}): Promise<AllInOne> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overcast-aio-'));
  const env: Record<string, string> = {
    ...cleanEnvironment(),
    OVERCAST_DATA_DIR: dataDir,
    OVERCAST_ADMIN_PASSWORD: adminPassword,
    // Pretend guests unless a test asks for libvirt: the all-in-one's own default would probe KVM
    // with a real boot at every start and keep its image cache in the machine's instances directory.
    OVERCAST_COMPUTE_AGENT_DRIVER: 'fake',
    ...SHARED_EMBEDDED_TEMPLATE,
    ...settings,
  };
  const urls = {} as AllInOne['urls'];
  for (const service of API_SERVICES) {
    const port = await freePort();
    env[envName(service, ['port'])] = String(port);
    urls[service] = `http://127.0.0.1:${port}`;
  }
  const aio = startOvercast('aio', ['aio'], env);
  const close = async () => {
    await aio.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // A deadline, not a wait: it starts in 5-15 s, but took over 60 s beside two guests booting under TCG.
    await waitForOutput(aio, 'is up in', 120_000);
  } catch (error) {
    const log = await readFile(join(dataDir, 'logs', 'overcast.log'), 'utf8').catch(() => '(no log)');
    await close();
    throw new Error(`${(error as Error).message}\nthe end of its log:\n${log.slice(-4000)}`);
  }
  return { dataDir, urls, process: aio, close };
}

/** A user of the cloud under test, in the Default domain, acting on one of their projects. */
export interface CloudUser {
  name: string;
  password: string;
  project: string;
}

/** The environment the OpenStack clients (openstack, glance) read, for `user` on the all-in-one. */
export function clientEnvironment(aio: AllInOne, user: CloudUser): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: aio.dataDir,
    OS_AUTH_URL: `${aio.urls.identity}/v3`,
    OS_USERNAME: user.name,
    OS_PASSWORD: user.password,
    OS_PROJECT_NAME: user.project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
  };
}
