import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A failed `rbd` or `ceph` command. Both exit with the errno of the failure (2 ENOENT, 16 EBUSY…). */
export class CephCommandError extends Error {
  override readonly name = 'CephCommandError';

  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed (${exitCode === null ? 'killed' : `exit ${exitCode}`}): ${stderr.trim() || 'no message'}`);
  }

  /** What went wrong in one line, for a user: the first line of stderr that is not one of librbd's timestamped log lines. */
  get reason(): string {
    const lines = this.stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    return lines.find((line) => !/^\d{4}-\d\d-\d\dT/.test(line)) ?? lines[0] ?? `exit ${this.exitCode ?? 'killed'}`;
  }
}

/** Whether `error` is a Ceph command failing with one of `errnos`. */
export function failedWith(error: unknown, ...errnos: number[]): boolean {
  return error instanceof CephCommandError && error.exitCode !== null && errnos.includes(error.exitCode);
}

interface Started {
  child: ChildProcess;
  /** Resolves when it exits 0; rejects with its stderr otherwise. Always settles, so await it. */
  done: Promise<void>;
}

/**
 * The `rbd` and `ceph` commands of ceph-common, as one client (`--conf`, `--id`) of one cluster.
 * No librbd binding is maintained on npm, so Ceph is driven through the CLI; arguments go to the
 * program directly, never through a shell.
 */
export class CephCli {
  constructor(
    private readonly cephConf: string,
    private readonly user: string | undefined,
  ) {}

  /** Runs a command to completion; resolves with its stdout. */
  async run(program: 'rbd' | 'ceph', args: readonly string[]): Promise<string> {
    const { child, done } = this.start(program, args, ['ignore', 'pipe', 'pipe']);
    const stdout: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    await done;
    return Buffer.concat(stdout).toString('utf8');
  }

  /**
   * `rbd import` of `data` as the image `spec`; resolves with the bytes it took. Should `data` fail,
   * the import is ended by closing its input rather than killed: a killed rbd leaves a watch on
   * the image that blocks its removal for 30 s. The partial image is the caller's to remove.
   */
  async import(spec: string, data: Readable): Promise<number> {
    const { child, done } = this.start('rbd', ['import', '--no-progress', '-', spec], ['pipe', 'ignore', 'pipe']);
    let size = 0;
    const counted = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        yield chunk;
      }
    };
    const [sent, imported] = await Promise.allSettled([pipeline(data, counted, child.stdin as Writable), done]);
    // When rbd fails, its message says more than the broken pipe that follows.
    if (imported.status === 'rejected') {
      throw imported.reason;
    }
    if (sent.status === 'rejected') {
      throw sent.reason;
    }
    return size;
  }

  /**
   * `rbd export` of `spec`, chunk by chunk; fails when rbd does. Returning early (the reader went
   * away) stops rbd, which is harmless for an export: it opens the image read-only, without a watch.
   */
  async *export(spec: string): AsyncGenerator<Buffer> {
    const { child, done } = this.start('rbd', ['export', '--no-progress', spec, '-'], ['ignore', 'pipe', 'pipe']);
    try {
      for await (const chunk of child.stdout as Readable) {
        yield chunk as Buffer;
      }
      await done;
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
      }
      await done.catch(() => undefined);
    }
  }

  private start(program: 'rbd' | 'ceph', args: readonly string[], stdio: StdioOptions): Started {
    const command = [program, '--conf', this.cephConf, ...(this.user === undefined ? [] : ['--id', this.user]), ...args];
    const child = spawn(program, command.slice(1), { stdio });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const done = new Promise<void>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new Error(`${program} is not installed: it comes with the ceph-common package`) : error),
      );
      child.once('close', (code) => (code === 0 ? resolve() : reject(new CephCommandError(command, code, stderr))));
    });
    // Its callers await it, some only after reading the output: a failure meanwhile is not unhandled.
    done.catch(() => undefined);
    return { child, done };
  }
}
