import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, waitUntil } from '../child-process';
import { isAlive, runCommand, Teardown } from './processes';

export interface GlusterVolume {
  /** Where the volume is FUSE-mounted; visible to every process on the machine. */
  mountPoint: string;
  /** Unmounts, stops and deletes the volume, stops glusterd by its PID, deletes the namespace and the dirs. */
  close(): Promise<void>;
}

/**
 * glusterd refuses loopback bricks, so the server lives in a network namespace of its own with
 * this address on a veth pair. The address exists only inside that namespace, so runs side by
 * side cannot collide; it is from the benchmarking range (RFC 2544), which no real network uses.
 */
const SERVER_ADDRESS = '198.18.0.1';

/** glusterd takes 2–9 s to answer here (drivers.md §7); this is the patience. */
const START_TIMEOUT_MS = 60_000;

/** glusterd's own files (state, run dir, CLI socket) under `dir`, so two of them never meet. */
function glusterdVolfile(dir: string): string {
  return `volume management
    type mgmt/glusterd
    option working-directory ${dir}/state
    option run-directory ${dir}/run
    option glusterd-sockfile ${dir}/glusterd.socket
    option transport-type socket
    option transport.socket.listen-port 24007
    option ping-timeout 0
    option event-threads 1
end-volume
`;
}

/** Whether a GlusterFS FUSE mount sits on `path` (a field of /proc/self/mountinfo is the mount point). */
async function isGlusterMount(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[4] === path && line.includes(' - fuse.glusterfs '));
}

interface Brick {
  pid: number;
  /** Kept by glusterd outside our dir, in /var/run/gluster. */
  socket?: string;
}

/** The brick process glusterd started for `volume`: not our child, so found by its PID file. */
async function brickOf(runDir: string, volume: string): Promise<Brick> {
  const pidDir = join(runDir, 'vols', volume);
  const [pidFile] = await readdir(pidDir);
  if (pidFile === undefined) {
    throw new Error(`glusterd wrote no brick PID file in ${pidDir}`);
  }
  const pid = Number((await readFile(join(pidDir, pidFile), 'utf8')).trim());
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const flag = args.indexOf('-S');
  return { pid, socket: flag >= 0 ? args[flag + 1] : undefined };
}

/**
 * A throwaway single-brick GlusterFS volume, FUSE-mounted on a temp dir (drivers.md §7): glusterd,
 * the brick and the FUSE client run in a network namespace made for this run, and `nsenter --net`
 * keeps the root mount namespace so the mount is seen everywhere. About 3–10 s: one per test file.
 */
export async function startGlusterVolume(): Promise<GlusterVolume> {
  const unique = randomBytes(4).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'overcast-gluster-'));
  const netns = `overcast-gl-${unique}`;
  const volume = `overcast${unique}`;
  const brickDir = join(dir, 'brick');
  const mountPoint = join(dir, 'mnt');
  const inNamespace = ['--net=/run/netns/' + netns];
  const gluster = (...args: string[]) =>
    runCommand('nsenter', [...inNamespace, 'gluster', '--mode=script', `--glusterd-sock=${join(dir, 'glusterd.socket')}`, ...args]);
  const teardown = new Teardown();
  teardown.push(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));

  await teardown.guard(async () => {
    await Promise.all(['state', 'run', 'log', 'brick', 'mnt'].map((sub) => mkdir(join(dir, sub))));
    await writeFile(join(dir, 'glusterd.vol'), glusterdVolfile(dir));

    await runCommand('ip', ['netns', 'add', netns]);
    teardown.push(`deleting the network namespace ${netns}`, () => runCommand('ip', ['netns', 'delete', netns]));
    // Both ends stay in the namespace: one carries the address, the other gives it a carrier.
    for (const args of [
      ['link', 'set', 'lo', 'up'],
      ['link', 'add', 'gl0', 'type', 'veth', 'peer', 'name', 'gl1'],
      ['address', 'add', `${SERVER_ADDRESS}/24`, 'dev', 'gl0'],
      ['link', 'set', 'gl0', 'up'],
      ['link', 'set', 'gl1', 'up'],
    ]) {
      await runCommand('ip', ['-n', netns, ...args]);
    }

    const glusterd = Daemon.start('glusterd', 'nsenter', [
      ...inNamespace,
      'glusterd',
      '--no-daemon',
      `--volfile=${join(dir, 'glusterd.vol')}`,
      `--log-file=${join(dir, 'log', 'glusterd.log')}`,
    ]);
    teardown.push('stopping glusterd', () => glusterd.stop());
    await waitUntil('glusterd answered', () => gluster('peer', 'status').then(() => true), [glusterd], START_TIMEOUT_MS);

    await gluster('volume', 'create', volume, `${SERVER_ADDRESS}:${brickDir}`, 'force');
    teardown.push(`deleting the volume ${volume}`, () => gluster('volume', 'delete', volume));
    await gluster('volume', 'start', volume);
    const started = brickOf(join(dir, 'run'), volume);
    teardown.push(`stopping the volume ${volume}`, async () => {
      const brick = await started.catch(() => undefined);
      try {
        await gluster('volume', 'stop', volume, 'force');
      } finally {
        // Should glusterd have failed to stop it, the brick still goes.
        if (brick !== undefined && (await isAlive(brick.pid))) {
          process.kill(brick.pid, 'SIGKILL');
        }
        if (brick?.socket !== undefined) {
          await rm(brick.socket, { force: true });
        }
      }
    });
    await started;

    const client = Daemon.start('the GlusterFS FUSE client', 'nsenter', [
      ...inNamespace,
      'glusterfs',
      '--no-daemon',
      `--volfile-server=${SERVER_ADDRESS}`,
      `--volfile-id=${volume}`,
      `--log-file=${join(dir, 'log', 'mount.log')}`,
      mountPoint,
    ]);
    teardown.push(`unmounting ${mountPoint}`, async () => {
      if (await isGlusterMount(mountPoint)) {
        await runCommand('umount', [mountPoint]);
      }
      await client.stop();
    });
    // The mount shows before the client reaches the brick; statfs answers once it has.
    await waitUntil('the volume was mounted', async () => (await isGlusterMount(mountPoint)) && (await statfs(mountPoint)).blocks > 0, [glusterd, client], START_TIMEOUT_MS);
  });

  return { mountPoint, close: () => teardown.close() };
}
