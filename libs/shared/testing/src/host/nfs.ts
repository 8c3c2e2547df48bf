import { randomBytes, randomInt } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, waitUntil } from '../child-process';
import { runInNamespace } from './netns-lab';
import { runCommand, Teardown } from './processes';

export interface NfsExport {
  /** The network namespace the server listens in; NFS clients run there and reach it on 127.0.0.1. */
  namespace: string;
  /**
   * The export as a client names it there: `127.0.0.1:<directory>`; with `reachableFromHost`,
   * `<its loopback address>:<directory>`, which names it both there and on this machine.
   */
  share: string;
  /** With `reachableFromHost`: the loopback address (127.x.y.z) the export has on this machine. */
  hostAddress?: string;
  /** Stops ganesha and rpcbind by their PIDs, deletes the namespace and the server's files. */
  close(): Promise<void>;
}

export interface NfsExportOptions {
  /**
   * Also serve the export in this machine's own network namespace, for a client that cannot join
   * the server's (qemu started by the machine's libvirtd): see `relayIntoNamespace`.
   */
  reachableFromHost?: boolean;
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
 * With `reachableFromHost`, clients in this machine's own namespace reach it too, at `share`.
 */
export async function startNfsExport(directory: string, options: NfsExportOptions = {}): Promise<NfsExport> {
  await access(directory);
  const namespace = `ocnfs-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'overcast-nfs-'));
  const teardown = new Teardown();
  teardown.push(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));

  const holderPid = await teardown.guard(async () => {
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
    return holder.pid;
  });
  if (!options.reachableFromHost) {
    return { namespace, share: `127.0.0.1:${directory}`, close: () => teardown.close() };
  }

  const hostAddress = await teardown.guard(async () => {
    const listed = await runCommand('nsenter', [`--target=${holderPid}`, '--mount', '--net', 'rpcinfo', '-p']);
    const relay = await relayIntoNamespace(holderPid, dir, rpcPorts(listed));
    teardown.push('stopping the relay into the namespace', () => relay.close());
    return relay.address;
  });
  return { namespace, share: `${hostAddress}:${directory}`, hostAddress, close: () => teardown.close() };
}

/** RPC programs an NFSv3 client speaks to: the portmapper, NFS and MOUNT. */
const NFS_CLIENT_PROGRAMS = ['100000', '100003', '100005'];

/** The TCP ports of the portmapper, nfsd and mountd, from `rpcinfo -p` (`program vers proto port service` lines). */
function rpcPorts(rpcinfo: string): number[] {
  const ports = rpcinfo
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([program, , proto]) => NFS_CLIENT_PROGRAMS.includes(program ?? '') && proto === 'tcp')
    .map(([, , , port]) => Number(port));
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * Forwards every connection to a Unix socket `<dir>/relay-<port>.sock` on to 127.0.0.1:<port>;
 * run by node in the server's network namespace (the file system is the machine's, so the
 * sockets are reachable from outside it). Prints `ready` once every socket listens.
 */
const NAMESPACE_RELAY = `
const net = require('node:net');
const [dir, ...ports] = process.argv.slice(1);
let listening = 0;
for (const port of ports) {
  net.createServer((client) => {
    const server = net.connect(Number(port), '127.0.0.1');
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
    client.pipe(server).pipe(client);
  }).listen(dir + '/relay-' + port + '.sock', () => {
    listening += 1;
    if (listening === ports.length) console.log('ready');
  });
}
`;

/** Listens on `address`:`port`, or rejects (EADDRINUSE when something else has it). */
function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The export's `ports` in this machine's network namespace, at a loopback address of its own
 * (all of 127.0.0.0/8 is loopback, so no address is added anywhere; one of 127.100–254.x.y picked
 * at random, another tried when one of its ports is taken, so parallel exports never meet): a TCP
 * server there (in this process) hands each connection to the relay in the server's namespace
 * (node, through a Unix socket), which connects to 127.0.0.1 there. The same ports at the same
 * address in the server's namespace reach ganesha directly, so the portmapper's answers hold on
 * both sides. Only TCP goes through, which is all libnfs uses.
 */
async function relayIntoNamespace(holderPid: number, dir: string, ports: number[]): Promise<{ address: string; close(): Promise<void> }> {
  if (!ports.includes(111) || ports.length < 3) {
    throw new Error(`rpcbind in the server's namespace lists ports ${ports.join(', ')}, not the portmapper's, nfsd's and mountd's`);
  }
  const inner = Daemon.start('the NFS relay in the namespace', 'nsenter', [`--target=${holderPid}`, '--net', process.execPath, '-e', NAMESPACE_RELAY, dir, ...ports.map(String)]);
  const servers: Server[] = [];
  const connections = new Set<Socket>();
  // A client that still holds a connection (a guest left running) must not keep close() waiting.
  const closeServers = () =>
    Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            connections.forEach((socket) => socket.destroy());
          }),
      ),
    );
  const close = async () => {
    await closeServers();
    await inner.stop();
  };
  try {
    await waitUntil('the NFS relay listened in the namespace', async () => inner.hasWritten('ready'), [inner], START_TIMEOUT_MS, 20);
    for (let attempt = 1; ; attempt += 1) {
      const address = `127.${randomInt(100, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
      for (const port of ports) {
        const server = createServer((client) => {
          const relayed = connect(join(dir, `relay-${port}.sock`));
          for (const socket of [client, relayed]) {
            connections.add(socket);
            socket.once('close', () => connections.delete(socket));
          }
          client.on('error', () => relayed.destroy());
          relayed.on('error', () => client.destroy());
          client.pipe(relayed).pipe(client);
        });
        const taken = await listen(server, port, address).then(
          () => undefined,
          (error: NodeJS.ErrnoException) => error,
        );
        if (taken === undefined) {
          servers.push(server);
          continue;
        }
        await closeServers();
        if (taken.code !== 'EADDRINUSE' || attempt === 10) {
          throw new Error(`could not listen on ${address}:${port} for the NFS export (${taken.message}); does an rpcbind or NFS server listen on all addresses of this machine?`, { cause: taken });
        }
        break;
      }
      if (servers.length === ports.length) {
        return { address, close };
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
}
