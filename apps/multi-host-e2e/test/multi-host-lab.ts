import { envName } from '@overcast/shared/core';
import {
  API_SERVICES,
  cleanEnvironment,
  type Daemon,
  eventually,
  type JsonObject,
  type LibvirtDaemons,
  NetnsLab,
  overcast,
  type PrivatePostgres,
  type PrivateRabbitmq,
  runInNamespace,
  type SimulatedHost,
  startLibvirtInNamespace,
  startPrivatePostgres,
  startOvercast,
  startPrivateRabbitmq,
  Teardown,
  waitUntil,
  whyNoLibvirt,
} from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INSTALL_SH = join(__dirname, '..', '..', '..', 'deploy', 'install.sh');
type ApiService = (typeof API_SERVICES)[number];
const PORTS: Record<ApiService, number> = { identity: 5000, compute: 8774, image: 9292, network: 9696, 'block-storage': 8776 };
/**
 * How fast a lost agent is noticed: seconds here, where a real cloud takes a minute (its defaults);
 * still seven missed reports, as a loaded machine delays them (at 8 s, live hosts were seen down).
 */
const TIMING = {
  OVERCAST_COMPUTE_HOST_DOWN_SECONDS: '15',
  OVERCAST_COMPUTE_STRANDED_SWEEP_SECONDS: '4',
  OVERCAST_COMPUTE_AGENT_REPORT_INTERVAL_SECONDS: '2',
  OVERCAST_NETWORK_AGENT_REPORT_INTERVAL_SECONDS: '5',
};

/** One machine of the lab: its namespace and address, and what deploy/install.sh wrote for it (under `root`). */
export interface LabMachine {
  name: string;
  namespace: string;
  ip: string;
  /** install.sh's `--root`: /etc/overcast and the rest of what it installs are under it. */
  root: string;
  /** What stands for /var/lib/overcast on this machine (all machines share one file system). */
  stateDirectory: string;
}

export interface ComputeMachine extends LabMachine {
  libvirt: LibvirtDaemons;
  /** Where the libvirt driver keeps its guests' disks and console logs. */
  instancesPath: string;
  computeAgent: Daemon;
  networkAgent: Daemon;
}

/** What the lab runs besides libvirt's tools: install.sh's, the controller's servers, and its health probe. */
const LAB_TOOLS: [string, string][] = [
  ['/usr/bin/rsync', 'rsync'],
  ['/usr/sbin/useradd', 'passwd'],
  ['/usr/lib/postgresql', 'postgresql'],
  ['/usr/sbin/rabbitmq-server', 'rabbitmq-server'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/curl', 'curl'],
];

/** Why the lab cannot run on this machine (what is missing), or undefined. */
export function whyNoMultiHostLab(): string | undefined {
  const missing = LAB_TOOLS.filter(([path]) => !existsSync(path)).map(([path, pkg]) => `${path} (${pkg})`);
  const libvirt = whyNoLibvirt();
  return libvirt ?? (missing.length === 0 ? undefined : `missing: ${missing.join(', ')}`);
}

/**
 * Hosts of a cloud simulated with network namespaces on one machine (issue: multi-node
 * deployment): a controller running PostgreSQL, RabbitMQ and the five APIs; compute hosts, each
 * with its own libvirtd (its QEMU in the host's namespace), a compute agent and a network agent;
 * a storage host with a volume agent on a `file` backend. The machines reach each other on one
 * underlay (10.200.0.0/24), which also carries the VXLAN tunnels. Each was configured by
 * `deploy/install.sh <role> --root …`, and its services run with the config files the systemd
 * units use; the environment only adds what one machine cannot give each simulated host (its own
 * host name, state and libvirt directories) and shorter heartbeats.
 */
export class MultiHostLab {
  private readonly teardown = new Teardown();
  computes: ComputeMachine[] = [];
  controller!: LabMachine;
  storage!: LabMachine;
  private network!: NetnsLab;
  private postgres!: PrivatePostgres;
  private rabbitmq!: PrivateRabbitmq;

  static async start(computeHosts = 2): Promise<MultiHostLab> {
    const lab = new MultiHostLab();
    await lab.teardown.guard(async () => {
      lab.network = await NetnsLab.create();
      lab.teardown.push('the namespaces', () => lab.network.close());
      await lab.startController();
      const names = Array.from({ length: computeHosts }, (_, index) => `compute${index + 1}`);
      [lab.storage, lab.computes] = await Promise.all([lab.startStorage(), Promise.all(names.map((name) => lab.startCompute(name)))]);
    });
    return lab;
  }

  /** Stops every service, daemon and guest of the lab and removes its namespaces and files. */
  async close(): Promise<void> {
    await this.teardown.close();
  }

  /** The `openstack` CLI as the cloud's admin, run on the controller with the clouds.yaml install.sh wrote. */
  async openstack(args: string[]): Promise<string> {
    try {
      const { stdout } = await run('ip', ['netns', 'exec', this.controller.namespace, 'openstack', '--os-cloud', 'overcast', ...args], {
        timeout: 180_000,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.controller.stateDirectory, OS_CLIENT_CONFIG_FILE: join(this.controller.root, 'etc/overcast/clouds.yaml') },
      });
      return stdout;
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`openstack ${args.join(' ')}: ${stderr?.trim() || (error as Error).message}`);
    }
  }

  async openstackJson<T = JsonObject>(args: string[]): Promise<T> {
    return JSON.parse(await this.openstack([...args, '-f', 'json'])) as T;
  }

  /** Kills a compute host's agent as a crash would (SIGKILL); its guests run on under libvirtd. */
  async killComputeAgent(host: ComputeMachine): Promise<void> {
    await host.computeAgent.kill();
  }

  restartComputeAgent(host: ComputeMachine): void {
    host.computeAgent = this.startAgent(host, 'compute', this.computeAgentEnvironment(host));
  }

  private async startController(): Promise<void> {
    const machine = await this.addMachine('controller');
    this.controller = machine;
    await this.install(machine, ['controller', '--public-ip', machine.ip]);
    const secret = (name: string) => this.secret(machine, name);

    // What install.sh would have done on a real controller (it prints it under --root): a
    // database and role per service, a virtual host and two users on the broker.
    this.postgres = await startPrivatePostgres({ namespace: machine.namespace });
    this.teardown.push('PostgreSQL', () => this.postgres.close());
    for (const service of API_SERVICES) {
      const database = service.replace('-', '_');
      await this.postgres.sql(`CREATE ROLE ${database} LOGIN PASSWORD '${await secret(`database-${database}`)}'`);
      await this.postgres.sql(`CREATE DATABASE ${database} OWNER ${database}`);
    }
    this.rabbitmq = await startPrivateRabbitmq({ namespace: machine.namespace });
    this.teardown.push('RabbitMQ', () => this.rabbitmq.close());
    await this.rabbitmq.ctl(['add_vhost', 'overcast']);
    for (const [user, name] of [['overcast', 'transport-controller'], ['overcast-node', 'transport-node']] as const) {
      await this.rabbitmq.ctl(['add_user', user], `${await secret(name)}\n`);
      await this.rabbitmq.ctl(['set_permissions', '-p', 'overcast', user, '.*', '.*', '.*']);
    }

    const config = (service: ApiService) => ({ ...this.environment(machine), OVERCAST_CONFIG_FILE: join(machine.root, 'etc/overcast', `${service}.yaml`), ...TIMING });
    for (const service of API_SERVICES) {
      await overcast(['db', 'sync', service], config(service), machine.namespace);
    }
    // Bootstrap reads every service's settings (install.sh hands it the union of the five files).
    const servicePasswords = Object.fromEntries(
      await Promise.all(API_SERVICES.slice(1).map(async (service) => [envName(service, ['servicePassword']), await secret(`service-${service}`)])),
    );
    await overcast(['bootstrap'], { ...config('identity'), ...servicePasswords, OVERCAST_ADMIN_PASSWORD: await secret('admin-password') }, machine.namespace);
    const apis = API_SERVICES.map((service) => this.track(startOvercast(`${service} on the controller`, ['serve', service], config(service), machine.namespace)));
    await Promise.all(API_SERVICES.map((service, index) => this.untilHealthy(machine, `http://${machine.ip}:${PORTS[service]}`, apis[index] as Daemon)));
  }

  private async startCompute(name: string): Promise<ComputeMachine> {
    const machine = await this.addMachine(name);
    // install.sh finds the host's address and the VXLAN interface from the route to the controller.
    await this.install(machine, ['compute', '--controller', this.controller.ip, '--transport-password-file', this.secretPath(this.controller, 'transport-node')], machine.namespace);
    const libvirt = await startLibvirtInNamespace(machine.namespace, join(machine.stateDirectory, 'libvirt'));
    this.teardown.push(`the libvirtd of ${name}`, () => libvirt.close());
    const instancesPath = join(machine.stateDirectory, 'instances');
    await mkdir(instancesPath, { recursive: true, mode: 0o755 });
    const host = { ...machine, libvirt, instancesPath } as ComputeMachine;
    host.networkAgent = this.startAgent(host, 'network', {
      OVERCAST_CONFIG_FILE: join(machine.root, 'etc/overcast/network-agent.yaml'),
      // `ip netns` names are the whole machine's: the DHCP and router namespaces get the host's in front.
      OVERCAST_NETWORK_AGENT_HOST_NAMESPACE: machine.namespace,
      OVERCAST_NETWORK_AGENT_STATE_DIRECTORY: join(machine.stateDirectory, 'network-agent'),
    });
    host.computeAgent = this.startAgent(host, 'compute', this.computeAgentEnvironment(host));
    return host;
  }

  private async startStorage(): Promise<LabMachine> {
    const machine = await this.addMachine('storage');
    const volumes = join(machine.stateDirectory, 'volumes');
    await this.install(machine, ['storage', '--controller', this.controller.ip, '--backend', `file:${volumes}`, '--transport-password-file', this.secretPath(this.controller, 'transport-node')]);
    await mkdir(volumes, { recursive: true, mode: 0o755 });
    this.startAgent(machine, 'volume', { OVERCAST_CONFIG_FILE: join(machine.root, 'etc/overcast/volume-agent.yaml') });
    return machine;
  }

  private computeAgentEnvironment(host: ComputeMachine): Record<string, string> {
    return {
      OVERCAST_CONFIG_FILE: join(host.root, 'etc/overcast/compute-agent.yaml'),
      OVERCAST_COMPUTE_AGENT_LIBVIRT_URI: host.libvirt.uri,
      OVERCAST_COMPUTE_AGENT_LIBVIRT_INSTANCES_PATH: host.instancesPath,
      // KVM hangs on these machines (drivers.md): TCG without the probe's boot.
      OVERCAST_COMPUTE_AGENT_LIBVIRT_VIRT_TYPE: 'qemu',
    };
  }

  /** `overcast agent <kind>` on the machine, with its unit's config file and the lab's additions. */
  private startAgent(machine: LabMachine, kind: 'compute' | 'network' | 'volume', settings: Record<string, string>): Daemon {
    return this.track(startOvercast(`the ${kind} agent of ${machine.name}`, ['agent', kind], { ...this.environment(machine), ...TIMING, ...settings }, machine.namespace));
  }

  /** What every process of a machine gets besides its config file: its host name and state directory. */
  private environment(machine: LabMachine): Record<string, string> {
    return { ...cleanEnvironment(), OVERCAST_HOST: machine.name, OVERCAST_DATA_DIR: machine.stateDirectory, HOME: machine.stateDirectory };
  }

  private track(daemon: Daemon): Daemon {
    this.teardown.push(daemon.name, () => daemon.stop());
    return daemon;
  }

  private async addMachine(name: string): Promise<LabMachine> {
    const host: SimulatedHost = await this.network.addHost(name);
    const root = join(this.network.directory, name, 'root');
    const stateDirectory = join(this.network.directory, name, 'state');
    await mkdir(stateDirectory, { recursive: true, mode: 0o755 });
    return { name, namespace: host.namespace, ip: host.tunnelIp, root, stateDirectory };
  }

  private async install(machine: LabMachine, args: string[], namespace?: string): Promise<void> {
    const command = ['bash', INSTALL_SH, ...args, '--root', machine.root];
    const [file, ...rest] = namespace === undefined ? command : ['ip', 'netns', 'exec', namespace, ...command];
    await run(file as string, rest, { env: cleanEnvironment(), timeout: 120_000 }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`install.sh ${args[0] ?? ''} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
  }

  private secretPath(machine: LabMachine, name: string): string {
    return join(machine.root, 'etc/overcast/secrets', name);
  }

  private async secret(machine: LabMachine, name: string): Promise<string> {
    return (await readFile(this.secretPath(machine, name), 'utf8')).trim();
  }

  private async untilHealthy(machine: LabMachine, url: string, daemon: Daemon): Promise<void> {
    const healthy = () => runInNamespace(machine.namespace, 'curl', ['-sf', '-m', '2', `${url}/healthcheck`]).then(() => true, () => false);
    await waitUntil(`${daemon.name} answers ${url}/healthcheck`, healthy, [daemon], 60_000);
  }

  /** Waits until `check` of the CLI's answer holds, and returns that answer. */
  async until<T>(args: string[], check: (shown: T) => boolean, timeoutMs = 120_000): Promise<T> {
    return eventually(() => this.openstackJson<T>(args), check, timeoutMs);
  }
}
