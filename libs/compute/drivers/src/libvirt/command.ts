import { execFile } from 'node:child_process';

/** The first non-empty line of a tool's message, without the usage text that may follow. */
export function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'no message';
}

/** Where the host tools come from, for the message when one is missing. */
const PACKAGES: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-img': 'qemu-utils',
  'qemu-system-x86_64': 'qemu-system-x86',
  genisoimage: 'genisoimage',
  prlimit: 'util-linux',
};

/**
 * Runs a host tool (never through a shell) and resolves with its stdout. On failure the Error
 * says `failure` (what could not be done, in a user's terms) and the tool's own message.
 */
export function runTool(command: string, args: readonly string[], failure: string, options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
      } else if (error.code === 'ENOENT') {
        reject(new Error(`${failure}: ${command} is not installed (it comes with the ${PACKAGES[command] ?? command} package)`));
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
