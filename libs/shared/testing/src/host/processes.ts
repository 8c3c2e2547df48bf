import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { notInstalled } from '../child-process';

/** Runs a command to completion (never through a shell), `input` on its standard input; rejects with its stderr when it fails. */
export async function runCommand(command: string, args: readonly string[], timeoutMs = 60_000, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
      } else if (error.code === 'ENOENT') {
        reject(notInstalled(command));
      } else {
        const status = error.killed ? `was killed after ${timeoutMs} ms` : `exited with ${String(error.code ?? error.signal)}`;
        reject(new Error(`${[command, ...args].join(' ')} ${status}: ${stderr.trim() || stdout.trim()}`));
      }
    });
    if (input !== undefined) {
      child.stdin?.end(input);
    }
  });
}

/** Whether `pid` is a live process: a zombie waiting for a late reaper (PID 1 here) has ended. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // "PID (command) STATE …": the command may hold any character, so look after its last ')'.
  return stat !== undefined && stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}

/**
 * What a helper has set up, undone in reverse order by `close()`: every step runs even when an
 * earlier one fails, and the failures are reported together.
 */
export class Teardown {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];

  push(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  async close(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.undo();
      } catch (error) {
        failures.push(`${step.what}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(`cleaning up failed:\n${failures.join('\n')}`);
    }
  }

  /** Runs `setUp`; if it fails, undoes what it did so far and rethrows its error. */
  async guard<T>(setUp: () => Promise<T>): Promise<T> {
    try {
      return await setUp();
    } catch (error) {
      const cleanup = await this.close().then(
        () => undefined,
        (failure: Error) => failure,
      );
      if (cleanup) {
        throw new Error(`${(error as Error).message}\n(and then ${cleanup.message})`, { cause: error });
      }
      throw error;
    }
  }
}
