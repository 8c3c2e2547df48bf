import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/** Where the tests' host packages come from, for messages about a missing command. */
const INSTALL_HINT = 'deploy/dev/test-services.sh installs the packages the tests need';

export function notInstalled(command: string): Error {
  return new Error(`${command} is not installed on this machine (${INSTALL_HINT})`);
}

/** How much of a process's output is kept for failure messages. */
const OUTPUT_KEPT = 20_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A daemon started in the foreground as this process's child, so its PID is known from the start,
 * its exit is seen at once (a crash fails the wait for readiness instead of timing out) and it is
 * reaped when it ends.
 */
export class Daemon {
  readonly exited: Promise<Exit>;
  private exit?: Exit;
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    // Read what it writes, or it blocks once the pipe is full.
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.record(Buffer.from(error.code === 'ENOENT' ? notInstalled(name).message : error.message));
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  static start(name: string, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Daemon {
    return new Daemon(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env }));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Whether it has written `text` (among the output kept). */
  hasWritten(text: string): boolean {
    return this.output.includes(text);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Its name, how it ended if it did, and the last thing it wrote: for failure messages. */
  describe(): string {
    const state = this.exit ? `exited (${JSON.stringify(this.exit)})` : `running as PID ${String(this.child.pid)}`;
    return `${this.name} ${state}; its last output:\n${this.output.trim() || '(none)'}`;
  }

  /** SIGTERM to exactly this PID, then its exit; SIGKILL if it has not ended within `graceMs`. */
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

  /** SIGKILL to exactly this PID, as a crash or the OOM killer ends a process, then its exit. */
  async kill(): Promise<Exit> {
    if (this.running) {
      this.child.kill('SIGKILL');
    }
    return this.exited;
  }

  private record(chunk: Buffer): void {
    this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  }
}


/**
 * Polls `probe` until it resolves true. Fails at once, with its output, if one of `daemons` exits,
 * and after `timeoutMs` with the last probe error and the daemons' output.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, daemons: readonly Daemon[], timeoutMs: number, intervalMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = 'not yet';
  for (;;) {
    const dead = daemons.find((daemon) => !daemon.running);
    if (dead) {
      throw new Error(`waiting until ${what}: ${dead.describe()}`);
    }
    try {
      if (await probe()) {
        return;
      }
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > end) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms (last probe: ${last})\n${daemons.map((daemon) => daemon.describe()).join('\n')}`);
    }
    await delay(intervalMs);
  }
}

