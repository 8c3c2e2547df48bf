import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../ports';
import { Daemon, waitUntil } from '../child-process';
import { runCommand, Teardown } from './processes';

export interface CephCluster {
  /** The cluster's ceph.conf: what a client (`rbd -c`, librbd, qemu's `conf=`) needs to reach it. */
  confPath: string;
  /** An RBD pool, initialised. */
  pool: string;
  fsid: string;
  /** Whether clients must authenticate with cephx (`startCephCluster({ cephx: true })`); otherwise auth is none. */
  cephx: boolean;
  /** Runs `ceph …` or `rbd …` against this cluster (as `client.admin`); resolves with its stdout, rejects with its stderr. */
  run(args: readonly ['ceph' | 'rbd', ...string[]]): Promise<string>;
  /**
   * Makes `client.<name>` with the caps Cinder's and Nova's Ceph users have (`profile rbd` on the
   * cluster's pool) and puts its key in the cluster's keyring, so `--id <name>` with `confPath`
   * works; resolves with its key (base64), what a libvirt secret of type `ceph` holds. Only with cephx.
   */
  createRbdUser(name: string): Promise<string>;
  /** Stops the daemons it started (by their PIDs) and removes its directory. */
  close(): Promise<void>;
}

/** A Ceph daemon's start-up (the OSD's mkfs and first peering included) is seconds; this is the patience. */
const START_TIMEOUT_MS = 90_000;

export interface CephClusterOptions {
  /**
   * Require cephx (Ceph's own default) instead of no auth: the daemons and `client.admin` take their
   * keys from the cluster's one keyring (`keyring` in its ceph.conf), and `createRbdUser` makes more.
   */
  cephx?: boolean;
}

/**
 * The smallest cluster that serves RBD (drivers.md §8): one mon, one mgr and one bluestore OSD on
 * a 2 GiB sparse file, without auth unless `cephx`. Everything lives in `dir`, and the mon listens
 * on `monPort` on 127.0.0.1; the mgr and the OSD take free ports of Ceph's 6800–7300 range
 * themselves, so two clusters run side by side.
 */
function cephConf(dir: string, fsid: string, monPort: number, cephx = false): string {
  const auth = cephx ? 'cephx' : 'none';
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
ms bind ipv6 = false
run dir = ${dir}/run
auth cluster required = ${auth}
auth service required = ${auth}
auth client required = ${auth}
${cephx ? `# Every key (mon., client.admin, the mgr's, the OSD's, the users') in one file of this cluster's.\nkeyring = ${dir}/keyring\n` : ''}auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim allowed = false
# One OSD holds one copy of everything.
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
# A test machine's disk is often more than 70 % full: that is no health warning here.
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = ${dir}/mon
# Map changes (each RBD snapshot create and remove makes one) are batched for up to a second by
# default; with one mon and one client there is nothing to batch, and it is most of a test's time.
paxos propose interval = 0.05
paxos min wait = 0.01
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log

[mgr]
mgr data = ${dir}/mgr
log file = ${dir}/log/$name.log

[osd]
osd data = ${dir}/osd
log file = ${dir}/log/$name.log
osd objectstore = bluestore
# Outside the data dir: bluestore links "block" there to it.
bluestore block path = ${dir}/osd-block.img
bluestore block create = true
bluestore block size = 2147483648
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
`;
}

/**
 * A throwaway single-node Ceph cluster (mon + mgr + one OSD) in a temp dir, with an initialised
 * RBD pool `rbd`. It takes about 10–15 s: start one per test file at most.
 */
export async function startCephCluster(options: CephClusterOptions = {}): Promise<CephCluster> {
  const cephx = options.cephx ?? false;
  const dir = await mkdtemp(join(tmpdir(), 'overcast-ceph-'));
  const teardown = new Teardown();
  teardown.push(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const confPath = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  const pool = 'rbd';
  const run: CephCluster['run'] = ([command, ...args]) => runCommand(command, ['--conf', confPath, ...args]);
  // Stopped in the reverse order: the OSD first, while the mon can still take its goodbye.
  const daemon = (name: string, command: string, args: string[]): Daemon => {
    const started = Daemon.start(name, command, ['--conf', confPath, '--foreground', ...args]);
    teardown.push(`stopping ${name}`, () => started.stop());
    return started;
  };

  await teardown.guard(async () => {
    await Promise.all(['mon', 'mgr', 'osd', 'run', 'log'].map((sub) => mkdir(join(dir, sub))));
    const monPort = await freePort();
    await writeFile(confPath, cephConf(dir, fsid, monPort, cephx));
    const monKeyring = join(dir, cephx ? 'keyring' : 'mon.keyring');
    await runCommand('ceph-authtool', ['--create-keyring', monKeyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    if (cephx) {
      // The mon's mkfs takes every key of its keyring, with its caps, into the cluster's auth database.
      await runCommand('ceph-authtool', [monKeyring, '--gen-key', '-n', 'client.admin', '--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *', '--cap', 'mds', 'allow *']);
      await runCommand('ceph-authtool', [monKeyring, '--gen-key', '-n', 'mgr.x', '--cap', 'mon', 'allow profile mgr', '--cap', 'osd', 'allow *', '--cap', 'mds', 'allow *']);
    }
    await runCommand('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')]);
    await runCommand('ceph-mon', ['--conf', confPath, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', monKeyring]);
    const mon = daemon('ceph-mon', 'ceph-mon', ['-i', 'a']);
    const ceph = (...args: string[]) => run(['ceph', '--connect-timeout', '10', ...args]);
    await waitUntil('the Ceph monitor answered', () => ceph('status').then(() => true), [mon], START_TIMEOUT_MS);

    const mgr = daemon('ceph-mgr', 'ceph-mgr', ['-i', 'x']);
    const osdUuid = randomUUID();
    let osdId: string;
    if (cephx) {
      // The OSD's key goes to the mon with its id (`osd new -i`), and into the keyring the OSD reads.
      const key = (await runCommand('ceph-authtool', ['--gen-print-key'])).trim();
      await writeFile(join(dir, 'osd-secrets.json'), JSON.stringify({ cephx_secret: key }));
      osdId = (await ceph('osd', 'new', osdUuid, '-i', join(dir, 'osd-secrets.json'))).trim();
      await runCommand('ceph-authtool', [monKeyring, '--name', `osd.${osdId}`, '--add-key', key]);
    } else {
      osdId = (await ceph('osd', 'new', osdUuid)).trim();
    }
    await runCommand('ceph-osd', ['--conf', confPath, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid, '--no-mon-config']);
    const osd = daemon(`ceph-osd.${osdId}`, 'ceph-osd', ['-i', osdId]);
    await waitUntil(
      'the OSD was up',
      async () => (JSON.parse(await ceph('osd', 'stat', '--format', 'json')) as { num_up_osds: number }).num_up_osds === 1,
      [mon, mgr, osd],
      START_TIMEOUT_MS,
    );

    await ceph('osd', 'pool', 'create', pool, '8', '8');
    await run(['rbd', 'pool', 'init', pool]);
    // Until the mgr has reported on the new pool (under a second), `ceph df` leaves it out and
    // `osd pool get-quota` fails with "no stats for pool": a driver's capacity() would fail.
    await waitUntil('the mgr reported on the pool', () => ceph('osd', 'pool', 'get-quota', pool).then(() => true), [mon, mgr, osd], START_TIMEOUT_MS, 100);
  });

  const createRbdUser = async (name: string): Promise<string> => {
    if (!cephx) {
      throw new Error('this Ceph cluster runs without auth: start it with { cephx: true } to make users');
    }
    const caps = ['mon', 'profile rbd', 'osd', `profile rbd pool=${pool}`, 'mgr', `profile rbd pool=${pool}`];
    const userKeyring = join(dir, `client.${name}.keyring`);
    await run(['ceph', 'auth', 'get-or-create', `client.${name}`, ...caps, '-o', userKeyring]);
    await runCommand('ceph-authtool', [join(dir, 'keyring'), '--import-keyring', userKeyring]);
    return (await run(['ceph', 'auth', 'print-key', `client.${name}`])).trim();
  };

  return { confPath, pool, fsid, cephx, run, createRbdUser, close: () => teardown.close() };
}
