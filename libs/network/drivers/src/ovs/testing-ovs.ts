import { createTempDir, Daemon, type NetnsLab, type SimulatedHost, waitUntil } from '@overcast/shared/testing';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HostCommands } from '../host/host-commands';
import { type OvsSettings } from './ovs-settings';

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

/** A simulated host of the lab with its own Open vSwitch, and the driver settings for it. */
export interface OvsTestHost {
  host: SimulatedHost;
  ovs: OvsInstance;
  settings: OvsSettings;
}

/** The operator's bridge for the underlay, which then holds the tunnel IP. */
export const UNDERLAY_BRIDGE = 'br-ul';

/**
 * Adds a host to the lab and does what its operator does for the ovs driver: starts Open vSwitch
 * and, for VXLAN in the userspace datapath, makes the underlay interface a port of an OVS bridge
 * and moves the tunnel IP onto that bridge.
 */
export async function startOvsHost(lab: NetnsLab, name: string): Promise<OvsTestHost> {
  const host = await lab.addHost(name);
  // Outside the lab's directory: the lab counts every process naming it as a leftover dnsmasq.
  const files = await createTempDir(`overcast-ovs-${name}`);
  const ovs = await startOvs(host.namespace, files.path).catch(async (error: unknown) => {
    await files.remove();
    throw error;
  });
  const testHost = { host, ovs, settings: { ...host.settings, tunnelInterface: UNDERLAY_BRIDGE, ovsdbSocket: ovs.ovsdbSocket } };
  const commands = new HostCommands(host.namespace);
  const underlay = host.settings.tunnelInterface;
  try {
    await ovs.vsctl('add-br', UNDERLAY_BRIDGE, '--', 'set', 'Bridge', UNDERLAY_BRIDGE, 'datapath_type=netdev', '--', 'add-port', UNDERLAY_BRIDGE, underlay);
    await commands.run('ip', ['address', 'delete', `${host.tunnelIp}/24`, 'dev', underlay]);
    await commands.run('ip', ['address', 'add', `${host.tunnelIp}/24`, 'dev', UNDERLAY_BRIDGE]);
    await commands.run('ip', ['link', 'set', UNDERLAY_BRIDGE, 'up']);
  } catch (error) {
    await stopOvsHost(testHost);
    throw error;
  }
  return testHost;
}

/** Stops the host's Open vSwitch and removes its files; the lab takes the rest. */
export async function stopOvsHost({ ovs }: OvsTestHost): Promise<void> {
  await ovs.stop();
  await rm(ovs.directory, { recursive: true, force: true });
}
