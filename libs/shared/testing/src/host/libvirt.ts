import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../eventually';
import { isAlive, runCommand } from './processes';

export const LIBVIRT_URI = 'qemu:///system';

/** libvirt's daemons as a test run found or started them. */
export interface LibvirtDaemons {
  uri: string;
  /** Gives up this run's lease; the last run to leave stops the daemons test runs started, by their PID files. */
  close(): Promise<void>;
}

/** The host tools a real-guest test needs, each with the package it comes with. */
const TOOLS: [string, string][] = [
  ['/usr/sbin/libvirtd', 'libvirt-daemon-system'],
  ['/usr/sbin/virtlogd', 'libvirt-daemon-system'],
  ['/usr/bin/virsh', 'libvirt-clients'],
  ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86'],
  ['/usr/bin/qemu-img', 'qemu-utils'],
  ['/usr/bin/genisoimage', 'genisoimage'],
  ['/bin/busybox', 'busybox-static'],
  ['/usr/sbin/dnsmasq', 'dnsmasq-base'],
];

/**
 * Why real guests cannot run on this machine (the tools missing and their packages), or undefined
 * if they can. Synchronous, so a spec can decide at collection time and say why it skips.
 */
export function whyNoLibvirt(): string | undefined {
  const missing = TOOLS.filter(([path]) => !existsSync(path)).map(([path, pkg]) => `${path} (${pkg})`);
  if (process.getuid?.() !== 0) {
    missing.push('root (libvirt guests, taps and namespaces need it)');
  }
  return missing.length === 0 ? undefined : `missing: ${missing.join(', ')}`;
}

const answers = (uri: string) => () =>
  runCommand('virsh', ['-c', uri, 'version'], 10_000).then(
    () => true,
    () => false,
  );

async function pidFrom(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 && (await isAlive(pid)) ? pid : undefined;
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await eventually(() => isAlive(pid), (alive) => !alive, 10_000)) {
    process.kill(pid, 'SIGKILL');
  }
}

/** Where test runs on this machine keep their leases on the daemons: several may use them at once. */
const LEASES = '/run/overcast-test-libvirt';
/** Present while daemons that a test run started are up: the last run to leave stops them. */
const STARTED_BY_TESTS = join(LEASES, 'started-by-tests');
const LOCK = join(LEASES, 'lock');

/**
 * Runs `work` holding the machine-wide lock on the daemons (a directory only one process can
 * make; one left by a dead process is taken over), so that one run never stops the daemons while
 * another is starting to use them.
 */
async function underLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(LEASES, { recursive: true });
  const taken = async () => {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      return true;
    } catch {
      const holder = await pidFrom(join(LOCK, 'pid'));
      if (holder === undefined) {
        await rm(LOCK, { recursive: true, force: true });
      }
      return false;
    }
  };
  if (!(await eventually(taken, (ok) => ok, 120_000))) {
    throw new Error(`could not take ${LOCK} within 120 s`);
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** The leases of processes still alive; those of dead ones are removed. */
async function liveLeases(): Promise<string[]> {
  const live: string[] = [];
  for (const name of (await readdir(LEASES)).filter((entry) => entry.startsWith('lease-'))) {
    if (await isAlive(Number(name.split('-')[1]))) {
      live.push(name);
    } else {
      await rm(join(LEASES, name), { force: true });
    }
  }
  return live;
}

/**
 * libvirtd (monolithic on Debian 12) and virtlogd (for `<serial type='file'>` logs), started as
 * drivers.md §1 says when they are not running: no systemd starts them here. Waits until
 * `virsh version` answers (8 s on a cold cache, about 1 s warm). Test runs in parallel share the
 * daemons through leases: daemons a test run started are stopped when the last run leaves; ones
 * found running are left alone.
 */
export async function startLibvirt(timeoutMs = 60_000): Promise<LibvirtDaemons> {
  const uri = LIBVIRT_URI;
  const lease = join(LEASES, `lease-${process.pid}-${randomUUID()}`);
  await underLock(async () => {
    await writeFile(lease, '');
    if (await answers(uri)()) {
      return;
    }
    await writeFile(STARTED_BY_TESTS, '');
    if ((await pidFrom('/run/virtlogd.pid')) === undefined) {
      await runCommand('/usr/sbin/virtlogd', ['-d']);
    }
    if ((await pidFrom('/run/libvirtd.pid')) === undefined) {
      await runCommand('/usr/sbin/libvirtd', ['-d']);
    }
    if (!(await eventually(answers(uri), (ok) => ok, timeoutMs))) {
      throw new Error(`libvirtd did not answer on ${uri} within ${timeoutMs} ms`);
    }
  });
  return {
    uri,
    close: () =>
      underLock(async () => {
        await rm(lease, { force: true });
        if ((await liveLeases()).length > 0 || !existsSync(STARTED_BY_TESTS)) {
          return;
        }
        // libvirtd first: it holds virtlogd's connections.
        for (const file of ['/run/libvirtd.pid', '/run/virtlogd.pid']) {
          const pid = await pidFrom(file);
          if (pid !== undefined) {
            await stopPid(pid);
          }
        }
        await rm(STARTED_BY_TESTS, { force: true });
      }),
  };
}

/** libvirt's state directories, each replaced for a namespaced daemon by one of its own (the name under its directory). */
const LIBVIRT_STATE: [string, string][] = [
  ['/run/libvirt', 'run'],
  ['/var/lib/libvirt', 'lib'],
  ['/var/log/libvirt', 'log'],
  ['/var/cache/libvirt', 'cache'],
  ['/etc/libvirt', 'etc'],
];

/**
 * A libvirtd of a simulated host, started inside its network namespace so that QEMU runs there and
 * opens the taps its agents make there. It gets a private mount namespace in which its own copies
 * of libvirt's state directories (sockets, domains, logs, configuration) lie over the machine's,
 * so it never meets the machine's libvirtd; from outside it is reached through its socket
 * (`qemu:///system?socket=…`). Its guests' files must be outside those directories.
 */
export async function startLibvirtInNamespace(namespace: string, directory: string, timeoutMs = 60_000): Promise<LibvirtDaemons> {
  await mkdir(directory, { recursive: true });
  for (const [, name] of LIBVIRT_STATE) {
    await mkdir(join(directory, name), { recursive: true });
  }
  // The machine's configuration, without the networks libvirt would start itself.
  await runCommand('cp', ['-a', '/etc/libvirt/.', join(directory, 'etc')]);
  await rm(join(directory, 'etc', 'qemu', 'networks', 'autostart'), { recursive: true, force: true });
  const script = [
    'set -e',
    ...LIBVIRT_STATE.map(([path, name]) => `mkdir -p ${path} && mount --bind ${join(directory, name)} ${path}`),
    `/usr/sbin/virtlogd -d -p ${join(directory, 'virtlogd.pid')}`,
    `exec /usr/sbin/libvirtd -p ${join(directory, 'libvirtd.pid')}`,
  ].join('\n');
  const log = await open(join(directory, 'libvirtd.log'), 'a');
  // `ip netns exec` and `unshare` exec what they run: the child is libvirtd itself.
  const libvirtd = spawn('ip', ['netns', 'exec', namespace, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const uri = `${LIBVIRT_URI}?socket=${join(directory, 'run', 'libvirt-sock')}`;
  const close = async () => {
    const domains = await runCommand('virsh', ['-c', uri, 'list', '--name'], 10_000).catch(() => '');
    for (const domain of domains.split('\n').filter(Boolean)) {
      await runCommand('virsh', ['-c', uri, 'destroy', domain], 30_000).catch(() => undefined);
    }
    for (const pid of [libvirtd.pid, await pidFrom(join(directory, 'virtlogd.pid'))]) {
      if (pid !== undefined && (await isAlive(pid))) {
        await stopPid(pid);
      }
    }
    await rm(directory, { recursive: true, force: true });
  };
  const exited = () => libvirtd.exitCode !== null || libvirtd.signalCode !== null;
  if (!(await eventually(async () => exited() || (await answers(uri)()), (done) => done, timeoutMs)) || exited()) {
    const output = await readFile(join(directory, 'libvirtd.log'), 'utf8').catch(() => '');
    await close();
    throw new Error(`the libvirtd of ${namespace} did not answer on ${uri} within ${timeoutMs} ms:\n${output}`);
  }
  return { uri, close };
}
