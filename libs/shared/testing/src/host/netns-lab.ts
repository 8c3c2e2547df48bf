import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually';
import { isAlive, runCommand } from './processes';

/** The underlay the simulated hosts reach each other on (VXLAN endpoints); it exists only inside the lab's namespaces. */
const UNDERLAY_PREFIX = '10.200.0';
/** The external network (a flat physnet every host is plugged into) and the address its "upstream router" has there. */
export const EXTERNAL_CIDR = '10.99.0.0/24';
export const EXTERNAL_GATEWAY_IP = '10.99.0.1';
export const EXTERNAL_PHYSNET = 'physnet1';

/** Written by udhcpc's script when it gets a lease: `lease ip=… mask=… router=… mtu=…`. */
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip address add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "\${router%% *}"
    echo "lease ip=$ip mask=$mask router=$router mtu=$mtu" ;;
esac
`;

export interface Lease {
  ip: string;
  mask: string;
  router: string;
  mtu: string;
}

/** Runs a command inside a network namespace. */
export function runInNamespace(namespace: string, command: string, args: readonly string[]): Promise<string> {
  return runCommand('ip', ['netns', 'exec', namespace, command, ...args]);
}

/** A network namespace of the lab (an instance, the external network…), with what the tests do in it. */
export class LabNamespace {
  constructor(
    readonly namespace: string,
    private readonly udhcpcScript: string,
  ) {}

  run(command: string, args: readonly string[]): Promise<string> {
    return runInNamespace(this.namespace, command, args);
  }

  /** One echo request (from `source` if given) and a second's wait for the reply. */
  async ping(address: string, source?: string): Promise<boolean> {
    const from = source === undefined ? [] : ['-I', source];
    return this.run('busybox', ['ping', '-c', '1', '-W', '1', ...from, address]).then(
      () => true,
      () => false,
    );
  }

  async addAddress(cidr: string, device = 'eth0'): Promise<void> {
    // An IPv6 address skips duplicate address detection, so it is usable at once.
    await this.run('ip', ['address', 'add', cidr, 'dev', device, ...(cidr.includes(':') ? ['nodad'] : [])]);
  }

  /** Asks for a lease on eth0 with busybox udhcpc (which sets the address and default route); fails when none comes. */
  async lease(): Promise<Lease> {
    const output = await this.run('busybox', ['udhcpc', '-i', 'eth0', '-n', '-q', '-t', '5', '-T', '1', '-O', 'mtu', '-O', 'staticroutes', '-s', this.udhcpcScript]);
    const line = output.split('\n').find((candidate) => candidate.startsWith('lease '));
    if (line === undefined) {
      throw new Error(`udhcpc reported no lease:\n${output}`);
    }
    const fields = Object.fromEntries(line.slice('lease '.length).split(' ').map((field) => field.split('=') as [string, string]));
    return { ip: fields['ip'] ?? '', mask: fields['mask'] ?? '', router: fields['router'] ?? '', mtu: fields['mtu'] ?? '' };
  }
}

/** The external network's own namespace: an upstream router at EXTERNAL_GATEWAY_IP with no route to any tenant subnet. */
export class ExternalNetwork extends LabNamespace {
  /** Drops echo requests from anyone but `sources`, so a ping that gets through proves its source address. */
  async acceptPingsOnlyFrom(sources: readonly string[]): Promise<void> {
    const rules = ['*filter', ':INPUT ACCEPT [0:0]', ...sources.map((source) => `-A INPUT -s ${source}/32 -p icmp -j ACCEPT`), '-A INPUT -p icmp --icmp-type echo-request -j DROP', 'COMMIT', ''];
    const file = join(tmpdir(), `overcast-rules-${randomBytes(4).toString('hex')}`);
    await writeFile(file, rules.join('\n'));
    try {
      await this.run('iptables-restore', [file]);
    } finally {
      await rm(file, { force: true });
    }
  }
}

/** A simulated host: a namespace with an underlay leg and a leg on the external network, for an agent's `hostNamespace`. */
export interface SimulatedHost {
  name: string;
  namespace: string;
  tunnelIp: string;
  /** The wiring settings of an agent on this host (a network driver's HostWiringSettings). */
  settings: { host: string; tunnelIp: string; tunnelInterface: string; physicalInterfaces: Record<string, string>; stateDirectory: string; hostNamespace: string };
}

/**
 * Network namespaces for data-plane tests: simulated hosts on a shared underlay and a shared
 * external network, and instance namespaces. Every namespace name starts with a random per-run
 * prefix, so runs never meet; close() stops every process that runs from the lab's directory
 * (dnsmasq) and deletes every namespace with the prefix, including those the drivers made.
 */
export class NetnsLab {
  readonly externalCidr = EXTERNAL_CIDR;
  readonly externalGatewayIp = EXTERNAL_GATEWAY_IP;
  /** The part of the external network a cloud may hand out (`--allocation-pool` text). */
  readonly externalPool = 'start=10.99.0.100,end=10.99.0.199';
  private hostCount = 0;

  private constructor(
    readonly prefix: string,
    readonly directory: string,
    readonly external: ExternalNetwork,
    private readonly udhcpcScript: string,
  ) {}

  static async create(): Promise<NetnsLab> {
    const prefix = `oc${randomBytes(3).toString('hex')}`;
    const directory = await mkdtemp(join(tmpdir(), `overcast-netns-${prefix}-`));
    // dnsmasq drops to an unprivileged user, which must still reach its files in here.
    await chmod(directory, 0o755);
    const udhcpcScript = join(directory, 'udhcpc.sh');
    await writeFile(udhcpcScript, UDHCPC_SCRIPT, { mode: 0o755 });
    const lab = new NetnsLab(prefix, directory, new ExternalNetwork(`${prefix}-ext`, udhcpcScript), udhcpcScript);
    try {
      await lab.addNamespace('ul');
      await runCommand('ip', ['-n', `${prefix}-ul`, 'link', 'add', 'ul', 'type', 'bridge']);
      await runCommand('ip', ['-n', `${prefix}-ul`, 'link', 'set', 'ul', 'up']);
      await lab.addNamespace('ext');
      const ext = ['-n', lab.external.namespace];
      await runCommand('ip', [...ext, 'link', 'add', 'ext', 'type', 'bridge']);
      await runCommand('ip', [...ext, 'address', 'add', `${EXTERNAL_GATEWAY_IP}/24`, 'dev', 'ext']);
      await runCommand('ip', [...ext, 'link', 'set', 'ext', 'up']);
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  /** A host with underlay address 10.200.0.<n>, its tunnel on `ul0` and `ext0` as the external physnet's interface. */
  async addHost(name: string): Promise<SimulatedHost> {
    const namespace = await this.addNamespace(name);
    const tunnelIp = `${UNDERLAY_PREFIX}.${++this.hostCount}`;
    const inHost = ['-n', namespace];
    await runCommand('ip', [...inHost, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', name, 'netns', `${this.prefix}-ul`]);
    await runCommand('ip', ['-n', `${this.prefix}-ul`, 'link', 'set', name, 'master', 'ul', 'up']);
    await runCommand('ip', [...inHost, 'address', 'add', `${tunnelIp}/24`, 'dev', 'ul0']);
    await runCommand('ip', [...inHost, 'link', 'set', 'ul0', 'up']);
    await runCommand('ip', [...inHost, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', `x-${name}`, 'netns', this.external.namespace]);
    await runCommand('ip', ['-n', this.external.namespace, 'link', 'set', `x-${name}`, 'master', 'ext', 'up']);
    await runCommand('ip', [...inHost, 'link', 'set', 'ext0', 'up']);
    const stateDirectory = join(this.directory, name);
    await mkdir(stateDirectory, { mode: 0o755 });
    return {
      name,
      namespace,
      tunnelIp,
      settings: { host: name, tunnelIp, tunnelInterface: 'ul0', physicalInterfaces: { [EXTERNAL_PHYSNET]: 'ext0' }, stateDirectory, hostNamespace: namespace },
    };
  }

  /** An instance: an empty namespace (loopback up) for a driver to plug a veth into as eth0. */
  async addInstance(name: string): Promise<LabNamespace> {
    return new LabNamespace(await this.addNamespace(name), this.udhcpcScript);
  }

  /** Stops the lab's processes, deletes its namespaces and its directory. */
  async close(): Promise<void> {
    await Promise.all((await this.processes()).map((pid) => stopProcess(pid)));
    for (const namespace of await this.namespaces()) {
      await runCommand('ip', ['netns', 'delete', namespace]);
    }
    await rm(this.directory, { recursive: true, force: true });
  }

  /** The PIDs of processes running in the lab's namespaces, or whose command line names its directory (the drivers' dnsmasq). */
  async processes(): Promise<number[]> {
    const pids = new Set<number>();
    for (const namespace of await this.namespaces()) {
      const inside = await runCommand('ip', ['netns', 'pids', namespace]).catch(() => '');
      inside.split('\n').filter(Boolean).forEach((pid) => pids.add(Number(pid)));
    }
    for (const entry of await readdir('/proc')) {
      const cmdline = /^\d+$/.test(entry) ? await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '') : '';
      if (cmdline.includes(this.directory)) {
        pids.add(Number(entry));
      }
    }
    return [...pids];
  }

  private async namespaces(): Promise<string[]> {
    const names = (await runCommand('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '');
    return names.filter((name) => name.startsWith(`${this.prefix}-`));
  }

  private async addNamespace(name: string): Promise<string> {
    const namespace = `${this.prefix}-${name}`;
    await runCommand('ip', ['netns', 'add', namespace]);
    await runCommand('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    return namespace;
  }
}

/** SIGTERM, then SIGKILL if it is still there after two seconds. */
async function stopProcess(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (!(await eventually(() => isAlive(pid), (alive) => !alive, 2000).then((alive) => !alive))) {
    process.kill(pid, 'SIGKILL');
  }
}
