import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, waitUntil } from '../child-process';
import { runInNamespace } from './netns-lab';
import { runCommand, Teardown } from './processes';

export interface NfsExport {
  /** The network namespace the server listens in; NFS clients run there and reach it on 127.0.0.1. */
  namespace: string;
  /** The export as a client names it there: `127.0.0.1:<directory>`. */
  share: string;
  /** Stops ganesha and rpcbind by their PIDs, deletes the namespace and the server's files. */
  close(): Promise<void>;
}

/** Ganesha serves within a second here (drivers.md §6); this is the patience. */
const START_TIMEOUT_MS = 30_000;

/**
 * NFSv3 only, over TCP, without locking or quotas: what qemu's libnfs client needs. Tests change
 * the exported files directly, behind ganesha's back, so it caches no attributes (a file grown
 * on disk would otherwise keep its old size over NFS for a minute).
 */
function ganeshaConf(directory: string, dir: string): string {
  return `NFS_CORE_PARAM { Protocols = 3; Enable_NLM = false; Enable_RQUOTA = false; }
NFSV4 { RecoveryRoot = ${dir}/recovery; }
EXPORT {
  Export_Id = 1; Path = ${directory}; Pseudo = /export; Protocols = 3; Transports = TCP;
  Access_Type = RW; Squash = No_Root_Squash; SecType = sys; Attr_Expiration_Time = 0; FSAL { Name = VFS; }
}
`;
}

/**
 * Exports `directory` over NFS with nfs-ganesha (drivers.md §6: this kernel has no NFS client or
 * server, so only userspace clients such as libnfs reach it). rpcbind and ganesha run in a network
 * namespace made for this export, so ports never collide. rpcbind keeps its lock and socket at
 * fixed paths in /run, and ganesha registers through that socket, so both also run in a mount
 * namespace of their own whose /run is a directory of this export: two exports never meet.
 */
export async function startNfsExport(directory: string): Promise<NfsExport> {
  await access(directory);
  const namespace = `ocnfs-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'overcast-nfs-'));
  const teardown = new Teardown();
  teardown.push(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));

  await teardown.guard(async () => {
    await Promise.all(['run', 'recovery'].map((sub) => mkdir(join(dir, sub))));
    await writeFile(join(dir, 'ganesha.conf'), ganeshaConf(directory, dir));
    await runCommand('ip', ['netns', 'add', namespace]);
    teardown.push(`deleting the network namespace ${namespace}`, () => runCommand('ip', ['netns', 'delete', namespace]));
    await runCommand('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);

    // The mount namespace lives as long as this process; the daemons join it by its PID.
    const holder = Daemon.start('the namespaces holder', 'nsenter', [`--net=/run/netns/${namespace}`, 'unshare', '--mount', '--propagation', 'private', 'sleep', 'infinity']);
    teardown.push('stopping the namespaces holder', () => holder.stop());
    // Only once it runs sleep has unshare made its mounts private: a mount before would reach this machine's /run.
    await waitUntil('the mount namespace was made', async () => (await readFile(`/proc/${holder.pid}/comm`, 'utf8')).trim() === 'sleep', [holder], START_TIMEOUT_MS, 20);
    const inServer = [`--target=${holder.pid}`, '--mount', '--net'];
    await runCommand('nsenter', [...inServer, 'mount', '--bind', join(dir, 'run'), '/run']);

    const rpcbind = Daemon.start('rpcbind', 'nsenter', [...inServer, 'rpcbind', '-f', '-w']);
    teardown.push('stopping rpcbind', () => rpcbind.stop());
    // Ganesha exits if it cannot register: wait for rpcbind's socket.
    await waitUntil('rpcbind answered', () => runCommand('nsenter', [...inServer, 'rpcinfo', '-p']).then(() => true), [rpcbind], START_TIMEOUT_MS, 20);

    const ganesha = Daemon.start('ganesha', 'nsenter', [
      ...inServer,
      'ganesha.nfsd',
      '-F',
      '-f',
      join(dir, 'ganesha.conf'),
      '-L',
      'STDERR',
      '-p',
      join(dir, 'ganesha.pid'),
      '-N',
      'NIV_WARN',
    ]);
    teardown.push('stopping ganesha', () => ganesha.stop());
    await waitUntil('ganesha served the export', () => runInNamespace(namespace, 'nfs-ls', [`nfs://127.0.0.1${directory}`]).then(() => true), [holder, rpcbind, ganesha], START_TIMEOUT_MS, 100);
  });

  return { namespace, share: `127.0.0.1:${directory}`, close: () => teardown.close() };
}
