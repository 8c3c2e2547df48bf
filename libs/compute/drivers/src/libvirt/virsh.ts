import { firstLine, runTool } from './command';

/** A domain's state as `virsh list --all --managed-save` words it (`saved`: shut off with a managed save image). */
export type DomainState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'saved' | 'blocked';

/** libvirt's words when the domain is not there (virsh's and the daemon's, across versions). */
const NO_DOMAIN = /failed to get domain|Domain not found|no domain with matching/i;

/** An Error from virsh that says the domain does not exist. */
export function isNoDomain(error: unknown): boolean {
  return error instanceof Error && NO_DOMAIN.test(error.message);
}

/**
 * virsh on one libvirt connection, through execFile (there is no usable libvirt binding for
 * Node). Every call names the URI; domain XML goes in through files, never on a command line.
 */
export class Virsh {
  constructor(
    readonly uri: string,
    /** Bounds each call: a wedged libvirtd must fail an operation, not hang the agent. */
    private readonly timeoutMs = 120_000,
  ) {}

  run(args: readonly string[], failure: string): Promise<string> {
    return runTool('virsh', ['--quiet', '-c', this.uri, ...args], failure, { timeoutMs: this.timeoutMs });
  }

  /** Every domain with its state, managed-saved ones as `saved`. */
  async list(): Promise<Map<string, DomainState>> {
    const table = await this.run(['list', '--all', '--managed-save'], 'could not list the libvirt domains');
    const domains = new Map<string, DomainState>();
    for (const line of table.split('\n')) {
      // " 3    instance-…   running" or " -    instance-…   shut off"; --quiet drops the header.
      const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
      if (match) {
        domains.set(match[2] as string, match[3] as DomainState);
      }
    }
    return domains;
  }

  /** The domain's state, or undefined when there is no such domain. */
  async state(name: string): Promise<DomainState | undefined> {
    return (await this.list()).get(name);
  }

  /** Runs a domain command; true if it ran, false if the domain is not there (for idempotent teardown). */
  async ifExists(args: readonly string[], failure: string): Promise<boolean> {
    try {
      await this.run(args, failure);
      return true;
    } catch (error) {
      if (isNoDomain(error)) {
        return false;
      }
      throw error;
    }
  }

  /** libvirt's and QEMU's versions; fails when libvirtd does not answer or runs no QEMU. */
  async version(): Promise<{ libvirt: string; hypervisor: string }> {
    const text = await this.run(['version'], `libvirt does not answer at ${this.uri} (is libvirtd running?)`);
    const library = /Using library: libvirt ([\d.]+)/.exec(text)?.[1];
    const hypervisor = /Running hypervisor: QEMU ([\d.]+)/.exec(text)?.[1];
    if (library === undefined || hypervisor === undefined) {
      throw new Error(`libvirt at ${this.uri} does not run QEMU: ${firstLine(text)}`);
    }
    return { libvirt: library, hypervisor };
  }
}
