import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { runCommand } from './processes';

/** A tiny CirrOS-like guest: a distribution kernel booted directly with a busybox initramfs. */
export interface GuestImage {
  kernel: string;
  initrd: string;
  kernelVersion: string;
  /** The command line to boot it with. */
  cmdline: string;
}

/**
 * What the guest prints on its serial console (ttyS0), one line each:
 * - `OVERCAST-GUEST-UP` as soon as its init runs (again after every boot);
 * - `OVERCAST-DISKS vda vdb…` once its virtio devices are probed;
 * - `OVERCAST-IP <addr>` (or `none`) after DHCP on eth0, then `OVERCAST-PING-GATEWAY ok|fail`;
 * - `OVERCAST-CONFIG-DRIVE <uuid>` and `OVERCAST-USER-DATA <first line>` from a config drive (or `OVERCAST-CONFIG-DRIVE none`);
 * - `OVERCAST-READY` once all of that is done; then `OVERCAST-DISK-ADDED vdX` / `OVERCAST-DISK-REMOVED vdX` as disks come and go.
 * User data that is a script (`#!` first) is run after `OVERCAST-READY`, as cloud-init would, by
 * busybox sh with every busybox applet on its PATH; what it prints goes to the console.
 * The ACPI power button (virsh shutdown) prints `OVERCAST-POWER-BUTTON` and powers it off.
 */
export const GUEST_MARKER = {
  up: 'OVERCAST-GUEST-UP',
  disks: 'OVERCAST-DISKS',
  ip: 'OVERCAST-IP',
  ping: 'OVERCAST-PING-GATEWAY',
  configDrive: 'OVERCAST-CONFIG-DRIVE',
  userData: 'OVERCAST-USER-DATA',
  ready: 'OVERCAST-READY',
  diskAdded: 'OVERCAST-DISK-ADDED',
  diskRemoved: 'OVERCAST-DISK-REMOVED',
  powerButton: 'OVERCAST-POWER-BUTTON',
} as const;

/** What the guest printed after `marker` on each line that has it, in order (an empty string for a bare marker). */
export function markerLines(console: string, marker: string): string[] {
  return console
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line === marker || line.startsWith(`${marker} `))
    .map((line) => line.slice(marker.length).trim());
}

/** The modules the guest loads (with what they depend on, from modules.dep): virtio PCI, disk and NIC, ISO9660 for the config drive, the ACPI power button. */
const MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'isofs', 'button', 'evdev'];

const UDHCPC_SCRIPT = `#!/bin/busybox sh
case "$1" in
  bound|renew)
    /bin/busybox ip address add "$ip/\${mask:-24}" dev "$interface"
    echo "$ip \${router%% *}" > /tmp/lease ;;
esac
`;

/** Runs by busybox acpid when the power button is pressed (acpid's PWRF action). */
const POWER_BUTTON = `#!/bin/busybox sh
echo "${GUEST_MARKER.powerButton}" > /dev/ttyS0
/bin/busybox poweroff -f
`;

const INIT = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
exec > /dev/ttyS0 2>&1
echo ${GUEST_MARKER.up}
$B --install -s /bin
export PATH=/bin
for m in $($B cat /lib/modules/load-order); do $B insmod /lib/modules/$m.ko; done
disks() { for d in /sys/block/vd*; do [ -e "$d" ] && $B basename "$d"; done | $B tr '\\n' ' '; }
# virtio devices are probed asynchronously after insmod: wait (up to 5 s) for the NIC.
n=0; while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do $B sleep 0.1; n=$((n+1)); done
# acpid opens the /dev/input/event* there are when it starts: wait until devtmpfs shows the power button's.
n=0; while [ "$($B ls /dev/input | $B grep -c event)" -lt "$($B ls /sys/class/input | $B grep -c event)" ] && [ $n -lt 50 ]; do $B sleep 0.1; n=$((n+1)); done
$B acpid -f -c /etc/acpi -l /dev/null &
echo "${GUEST_MARKER.disks} $(disks)"
$B ip link set lo up
if [ -e /sys/class/net/eth0 ] && $B ip link set eth0 up && $B udhcpc -i eth0 -n -q -t 10 -T 2 -s /etc/udhcpc.sh > /dev/null; then
  read ip gw < /tmp/lease
  echo "${GUEST_MARKER.ip} $ip"
  if $B ping -c 3 -W 2 "$gw" > /dev/null; then echo "${GUEST_MARKER.ping} ok"; else echo "${GUEST_MARKER.ping} fail"; fi
else
  echo "${GUEST_MARKER.ip} none"
fi
found=none
for d in $(disks); do
  if $B mount -t iso9660 -o ro /dev/$d /mnt 2> /dev/null; then
    if [ -f /mnt/openstack/latest/meta_data.json ]; then
      found=$($B grep -o '"uuid": *"[^"]*"' /mnt/openstack/latest/meta_data.json | $B head -n 1 | $B sed 's/.*"\\([^"]*\\)"$/\\1/')
      if [ -f /mnt/openstack/latest/user_data ]; then
        echo "${GUEST_MARKER.userData} $($B head -n 1 /mnt/openstack/latest/user_data)"
        [ "$($B head -c 2 /mnt/openstack/latest/user_data)" = '#!' ] && $B cp /mnt/openstack/latest/user_data /tmp/user-data
      fi
    fi
    $B umount /mnt
  fi
done
echo "${GUEST_MARKER.configDrive} $found"
echo ${GUEST_MARKER.ready}
[ -f /tmp/user-data ] && $B sh /tmp/user-data &
old=$(disks)
while true; do
  $B sleep 0.5
  new=$(disks)
  for d in $new; do case " $old " in *" $d "*) ;; *) echo "${GUEST_MARKER.diskAdded} $d" ;; esac; done
  for d in $old; do case " $new " in *" $d "*) ;; *) echo "${GUEST_MARKER.diskRemoved} $d" ;; esac; done
  old=$new
done
`;

/** The newest kernel in /boot and its version. */
async function newestKernel(): Promise<{ path: string; version: string }> {
  const kernels = (await readdir('/boot').catch(() => [])).filter((name) => name.startsWith('vmlinuz-'));
  kernels.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = kernels.at(-1);
  if (newest === undefined) {
    throw new Error('no kernel in /boot for the test guest (install linux-image-amd64)');
  }
  return { path: `/boot/${newest}`, version: newest.slice('vmlinuz-'.length) };
}

/** The modules to insmod, each after what it depends on (modules.dep), as paths relative to the modules directory. */
export function loadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const dependencies = new Map<string, string[]>();
  for (const line of modulesDep.split('\n')) {
    const [module, deps] = line.split(':');
    if (module !== undefined && deps !== undefined) {
      dependencies.set(module, deps.trim().split(/\s+/).filter(Boolean));
    }
  }
  const byName = new Map([...dependencies.keys()].map((path) => [moduleName(path), path]));
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) {
      return;
    }
    for (const dependency of dependencies.get(path) ?? []) {
      visit(dependency);
    }
    order.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name);
    if (path === undefined) {
      throw new Error(`the kernel has no module ${name} (is it built in? then drop it from the guest's list)`);
    }
    visit(path);
  }
  return order;
}

function moduleName(path: string): string {
  return basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, '');
}

/** A module file as plain .ko, decompressed when Debian ships it compressed. */
async function copyModule(source: string, target: string): Promise<void> {
  const decompressor = source.endsWith('.xz') ? 'xz' : source.endsWith('.zst') ? 'zstd' : source.endsWith('.gz') ? 'gzip' : undefined;
  if (decompressor === undefined) {
    await copyFile(source, target);
    return;
  }
  const child = spawn(decompressor, ['-dc', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  await pipeline(child.stdout, createWriteStream(target));
}

/** Every path under `root`, relative, directories before what they hold: cpio's input. */
async function listTree(root: string, directory = root): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    paths.push(relative(root, path));
    if (entry.isDirectory()) {
      paths.push(...(await listTree(root, path)));
    }
  }
  return paths;
}

/** `root` as a gzipped newc cpio archive (what the kernel unpacks as its initramfs). */
async function packInitramfs(root: string, target: string): Promise<void> {
  const cpio = spawn('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  cpio.stdin.end(`${(await listTree(root)).join('\n')}\n`);
  const exited = new Promise<void>((resolve, reject) => {
    cpio.once('error', reject);
    cpio.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`cpio exited with ${String(code)}`))));
  });
  await Promise.all([pipeline(cpio.stdout, createGzip({ level: 1 }), createWriteStream(target)), exited]);
}

async function build(directory: string, kernel: { path: string; version: string }): Promise<void> {
  const root = join(directory, 'root');
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'tmp', 'mnt', 'etc/acpi/PWRF', 'lib/modules']) {
    await mkdir(join(root, sub), { recursive: true });
  }
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  const modulesDirectory = `/lib/modules/${kernel.version}`;
  const order = loadOrder(await readFile(join(modulesDirectory, 'modules.dep'), 'utf8'), MODULES);
  for (const path of order) {
    await copyModule(join(modulesDirectory, path), join(root, 'lib/modules', `${moduleName(path)}.ko`));
  }
  await writeFile(join(root, 'lib/modules/load-order'), `${order.map(moduleName).join('\n')}\n`);
  await writeFile(join(root, 'init'), INIT, { mode: 0o755 });
  await writeFile(join(root, 'etc/udhcpc.sh'), UDHCPC_SCRIPT, { mode: 0o755 });
  await writeFile(join(root, 'etc/acpi/PWRF/00000080'), POWER_BUTTON, { mode: 0o755 });
  await packInitramfs(root, join(directory, 'initrd.gz'));
  await copyFile(kernel.path, join(directory, 'vmlinuz'));
  await rm(root, { recursive: true, force: true });
}

let guest: Promise<GuestImage> | undefined;

/**
 * The test guest, built once per test run without the internet: this machine's newest Debian
 * kernel from /boot and a busybox-static initramfs with that kernel's modules (see GUEST_MARKER
 * for what it does). Kept under the temp dir by a hash of its contents, so later runs reuse it.
 */
export function testGuestImage(): Promise<GuestImage> {
  guest ??= (async () => {
    const kernel = await newestKernel();
    const hash = createHash('sha256').update(kernel.version).update(INIT).update(UDHCPC_SCRIPT).update(POWER_BUTTON).update(MODULES.join()).digest('hex').slice(0, 12);
    const directory = join(tmpdir(), `overcast-guest-${hash}`);
    const image: GuestImage = { kernel: join(directory, 'vmlinuz'), initrd: join(directory, 'initrd.gz'), kernelVersion: kernel.version, cmdline: 'console=ttyS0 quiet panic=-1' };
    if (!(await access(image.initrd).then(() => true, () => false))) {
      // Built beside and renamed into place, so a concurrent run never sees half an image.
      const partial = `${directory}.${randomBytes(4).toString('hex')}.partial`;
      await mkdir(partial, { recursive: true });
      try {
        await build(partial, kernel);
        await chmod(partial, 0o755);
        await rename(partial, directory).catch(async (error: NodeJS.ErrnoException) => {
          // Another run got there first: its image is the same.
          if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') {
            throw error;
          }
        });
      } finally {
        await rm(partial, { recursive: true, force: true });
      }
    }
    await runCommand('gzip', ['-t', image.initrd]);
    return image;
  })();
  return guest;
}
