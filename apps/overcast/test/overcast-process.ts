import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { freePort } from '@overcast/shared/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OVERCAST_BIN = join(__dirname, '..', 'bin', 'overcast.js');
/** Pause between two probes of something being polled (readiness, a revocation reaching a service). */
const POLL_INTERVAL_MS = 25;

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

/** Runs `overcast <args>` to completion; rejects with its output when it exits non-zero. */
export async function overcast(args: string[], env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [OVERCAST_BIN, ...args], { env, timeout: 60_000 });
    return stdout;
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(`overcast ${args.join(' ')} failed (${String(code)}):\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running `overcast` command (`serve …`) started as a child process. */
export class OvercastProcess {
  private output = '';
  readonly exited: Promise<Exit>;
  private exit?: Exit;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  static start(name: string, args: string[], env: Record<string, string>): OvercastProcess {
    return new OvercastProcess(name, spawn(process.execPath, [OVERCAST_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines it wrote, for failure messages. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** Polls `<url>/healthcheck` until it answers 200; fails at once if the process dies. */
  async waitUntilHealthy(url: string, deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    let last = 'no answer';
    while (Date.now() < end) {
      if (!this.running) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before it was healthy:\n${this.tail()}`);
      }
      try {
        const response = await fetch(`${url}/healthcheck`, { signal: AbortSignal.timeout(2000) });
        last = `${response.status} ${await response.text()}`;
        if (response.status === 200) {
          return;
        }
      } catch (error) {
        last = (error as Error).message;
      }
      await delay(POLL_INTERVAL_MS);
    }
    throw new Error(`${this.name} was not healthy within ${deadlineMs} ms (last: ${last}):\n${this.tail()}`);
  }

  /** Waits until the process has written `text`; fails at once if it dies first. */
  async waitForOutput(text: string, deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!this.output.includes(text)) {
      if (!this.running) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before writing "${text}":\n${this.tail()}`);
      }
      if (Date.now() > end) {
        throw new Error(`${this.name} did not write "${text}" within ${deadlineMs} ms:\n${this.tail()}`);
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** SIGTERM, then the exit; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.running) {
      return this.exited;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private record(chunk: Buffer): void {
    this.output += chunk.toString('utf8');
    if (this.output.length > 200_000) {
      this.output = this.output.slice(-100_000);
    }
  }
}

export const SERVICES = ['identity', 'compute', 'image', 'network', 'block-storage'] as const;

export interface AllInOne {
  dataDir: string;
  /** Base URL of each service's API. */
  urls: Record<(typeof SERVICES)[number], string>;
  process: OvercastProcess;
  /** Stops it (SIGTERM) and removes its data dir. */
  close(): Promise<void>;
}

/** `overcast aio` on free ports and a fresh data dir, once it says it is up (bootstrapped, all APIs listening). */
export async function startAllInOne(adminPassword: string): Promise<AllInOne> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overcast-aio-'));
  const env: Record<string, string> = { ...cleanEnvironment(), OVERCAST_DATA_DIR: dataDir, OVERCAST_ADMIN_PASSWORD: adminPassword };
  const urls = {} as AllInOne['urls'];
  for (const service of SERVICES) {
    const port = await freePort();
    env[`OVERCAST_${service.toUpperCase().replace('-', '_')}_PORT`] = String(port);
    urls[service] = `http://127.0.0.1:${port}`;
  }
  const aio = OvercastProcess.start('aio', ['aio'], env);
  const close = async () => {
    await aio.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await aio.waitForOutput('is up in', 60_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { dataDir, urls, process: aio, close };
}
