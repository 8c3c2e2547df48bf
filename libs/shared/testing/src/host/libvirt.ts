import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { eventually } from '../eventually';
import { isAlive, runCommand } from './processes';

export const LIBVIRT_URI = 'qemu:///system';

/** libvirt's daemons as a test run found or started them. */
export interface LibvirtDaemons {
  uri: string;
  /** Stops the daemons this run started, by their PID files; leaves ones it found running. */
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

/**
 * libvirtd (monolithic on Debian 12) and virtlogd (for `<serial type='file'>` logs), started as
 * drivers.md §1 says when they are not running: no systemd starts them here. Waits until
 * `virsh version` answers (8 s on a cold cache, about 1 s warm).
 */
export async function startLibvirt(timeoutMs = 60_000): Promise<LibvirtDaemons> {
  const uri = LIBVIRT_URI;
  const started: string[] = [];
  if (!(await answers(uri)())) {
    if ((await pidFrom('/run/virtlogd.pid')) === undefined) {
      await runCommand('/usr/sbin/virtlogd', ['-d']);
      started.push('/run/virtlogd.pid');
    }
    if ((await pidFrom('/run/libvirtd.pid')) === undefined) {
      await runCommand('/usr/sbin/libvirtd', ['-d']);
      started.push('/run/libvirtd.pid');
    }
    if (!(await eventually(answers(uri), (ok) => ok, timeoutMs))) {
      throw new Error(`libvirtd did not answer on ${uri} within ${timeoutMs} ms`);
    }
  }
  return {
    uri,
    async close() {
      // libvirtd first: it holds virtlogd's connections.
      for (const file of started.reverse()) {
        const pid = await pidFrom(file);
        if (pid !== undefined) {
          await stopPid(pid);
        }
      }
    },
  };
}
