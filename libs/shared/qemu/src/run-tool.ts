import { execFile } from 'node:child_process';

/** The first non-empty line of a tool's message, without the usage text that may follow. */
export function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'no message';
}

/** Where the tools this library runs come from, for the message when one is missing. */
const PACKAGES: Record<string, string> = {
  'qemu-img': 'qemu-utils',
  prlimit: 'util-linux',
};

export interface RunToolOptions {
  /** Kills the tool after this long; no limit by default. */
  timeoutMs?: number;
  /** Written to the tool's stdin. */
  input?: string;
  /** The package that brings `command`, for a tool this library does not know. */
  package?: string;
}

/**
 * Runs a host tool (never through a shell) and resolves with its stdout. On failure the Error
 * says `failure` (what could not be done, in a user's terms) and the tool's own message.
 */
export function runTool(command: string, args: readonly string[], failure: string, options: RunToolOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
      } else if (error.code === 'ENOENT') {
        reject(new Error(`${failure}: ${command} is not installed (it comes with the ${options.package ?? PACKAGES[command] ?? command} package)`));
      } else if (error.killed) {
        reject(new Error(`${failure}: ${command} did not finish within ${options.timeoutMs ?? 0} ms`));
      } else {
        reject(new Error(`${failure}: ${firstLine(stderr || stdout || error.message)}`));
      }
    });
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });
}
