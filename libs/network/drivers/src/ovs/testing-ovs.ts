import { Daemon, waitUntil } from '@overcast/shared/testing';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostCommands } from '../host/host-commands';

/** ovsdb-server and ovs-vswitchd start in about 0.2 s here (drivers.md §2); this is the patience. */
const START_TIMEOUT_MS = 20_000;

const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** One Open vSwitch of a simulated host: its own database, daemons and sockets under `directory`. */
export interface OvsInstance {
  /** The network namespace both daemons run in (the host's). */
  namespace: string;
  directory: string;
  /** Give this to the driver (OvsSettings.ovsdbSocket); the bridges' OpenFlow sockets sit beside it. */
  ovsdbSocket: string;
  vsctl(...args: string[]): Promise<string>;
  /** `ovs-ofctl -O OpenFlow15 <command> <bridge's socket> <args…>`. */
  ofctl(command: string, bridge: string, ...args: string[]): Promise<string>;
  /** ovs-appctl to this ovs-vswitchd (`ovs/route/show`, `tnl/arp/show`, `dpctl/dump-conntrack`…), for tests and debugging. */
  appctl(...args: string[]): Promise<string>;
  /** Stops both daemons by their PIDs. */
  stop(): Promise<void>;
}

/**
 * Starts an ovsdb-server and an ovs-vswitchd of their own inside `namespace`, keeping every file
 * under `directory`, so simulated hosts and parallel runs never share OVS state and the system's
 * /etc/openvswitch stays untouched. In production the operator starts OVS (`ovs-ctl start`).
 */
export async function startOvs(namespace: string, directory: string): Promise<OvsInstance> {
  await mkdir(directory, { recursive: true });
  const machine = new HostCommands();
  const file = (name: string) => join(directory, name);
  const ovsdbSocket = file('db.sock');
  const daemonFiles = (daemon: string) => [`--unixctl=${file(`${daemon}.ctl`)}`, `--pidfile=${file(`${daemon}.pid`)}`, `--log-file=${file(`${daemon}.log`)}`];
  const vsctl = (...args: string[]) => machine.runOnMachine('ovs-vsctl', [`--db=unix:${ovsdbSocket}`, '--timeout=30', ...args]);
  const appctl = (...args: string[]) => machine.runOnMachine('ovs-appctl', ['-t', file('ovs-vswitchd.ctl'), ...args]);

  await machine.runOnMachine('ovsdb-tool', ['create', file('conf.db'), VSWITCH_SCHEMA]);
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const daemon of [...daemons].reverse()) {
      await daemon.stop();
    }
  };
  try {
    const ovsdb = Daemon.start('ovsdb-server', 'ip', ['netns', 'exec', namespace, 'ovsdb-server', file('conf.db'), `--remote=punix:${ovsdbSocket}`, ...daemonFiles('ovsdb-server')]);
    daemons.push(ovsdb);
    await waitUntil('ovsdb-server answered', () => vsctl('--no-wait', 'init').then(() => true), [ovsdb], START_TIMEOUT_MS);
    // The run directory is where ovs-vswitchd puts each bridge's OpenFlow socket (<bridge>.mgmt).
    const env = { ...process.env, OVS_RUNDIR: directory, OVS_DBDIR: directory, OVS_LOGDIR: directory, OVS_SYSCONFDIR: directory };
    const vswitchd = Daemon.start('ovs-vswitchd', 'ip', ['netns', 'exec', namespace, 'ovs-vswitchd', `unix:${ovsdbSocket}`, ...daemonFiles('ovs-vswitchd')], { env });
    daemons.push(vswitchd);
    await waitUntil('ovs-vswitchd answered', () => appctl('version').then(() => true), [ovsdb, vswitchd], START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    namespace,
    directory,
    ovsdbSocket,
    vsctl,
    ofctl: (command, bridge, ...args) => machine.runOnMachine('ovs-ofctl', ['-O', 'OpenFlow15', command, `unix:${file(`${bridge}.mgmt`)}`, ...args]),
    appctl,
    stop,
  };
}
