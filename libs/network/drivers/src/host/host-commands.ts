import { execFile } from 'node:child_process';

export class HostCommandError extends Error {
  override readonly name = 'HostCommandError';

  constructor(
    readonly command: string,
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`${command} failed (${String(exitCode)}): ${stderr.trim()}`);
  }
}

/**
 * Runs the host's network tools (ip, bridge, iptables, nft, ovs-vsctl, ovs-ofctl, dnsmasq…) as
 * child processes, never through a shell. With `hostNamespace` set, every command runs inside that
 * network namespace, which then plays the host (see HostWiringSettings).
 */
export class HostCommands {
  constructor(private readonly hostNamespace?: string) {}

  /** Runs a command on the host; resolves with its stdout, rejects with HostCommandError. */
  run(command: string, args: readonly string[], options: { input?: string } = {}): Promise<string> {
    return this.exec(this.hostNamespace ? ['ip', 'netns', 'exec', this.hostNamespace, command, ...args] : [command, ...args], options.input);
  }

  /** Runs a command inside a named network namespace (qdhcp-…, qrouter-…). */
  runIn(namespace: string, command: string, args: readonly string[], options: { input?: string } = {}): Promise<string> {
    return this.exec(['ip', 'netns', 'exec', namespace, command, ...args], options.input);
  }

  /**
   * Runs a command in the machine's own namespace, whatever plays the host: `ip netns add/delete/list`
   * manage machine-wide names, and a tool's presence is checked there.
   */
  runOnMachine(command: string, args: readonly string[], options: { input?: string } = {}): Promise<string> {
    return this.exec([command, ...args], options.input);
  }

  /** The name a per-network or per-router namespace gets on this host. */
  namespaceName(name: string): string {
    return this.hostNamespace ? `${this.hostNamespace}-${name}` : name;
  }

  private exec(argv: readonly string[], input?: string): Promise<string> {
    const [command, ...args] = argv as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const child = execFile(command, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          reject(new HostCommandError(argv.join(' '), error.code ?? error.signal ?? undefined, stderr || error.message));
        } else {
          resolve(stdout);
        }
      });
      if (input !== undefined) {
        child.stdin?.end(input);
      }
    });
  }
}
