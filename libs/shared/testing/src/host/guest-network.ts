import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, waitUntil } from '../child-process';
import { runCommand, Teardown } from './processes';

/** A guest's network for a real-boot test: a tap on a bridge, with DHCP and a gateway in a namespace. */
export interface GuestNetwork {
  /** The port the tap stands for, and the tap as the network agent names it (`tap` + the port id's first 11 characters). */
  portId: string;
  tap: string;
  mac: string;
  /** The address dnsmasq hands `mac`, and its own (the gateway the guest pings). */
  guestIp: string;
  gatewayIp: string;
  bridge: string;
  namespace: string;
  /** What dnsmasq logged (its DHCP exchanges), for failure messages. */
  dnsmasqLog(): string;
  /** Stops dnsmasq by its PID, deletes the namespace, the tap and the bridge. */
  close(): Promise<void>;
}

/**
 * The network agent's part for one guest, done by hand (drivers.md §1 and §4): a Linux bridge in
 * the root namespace WITHOUT an address, a persistent tap on it, and a namespace joined to the
 * bridge by a veth where dnsmasq gives `mac` a fixed address and answers pings as the gateway.
 * The private addresses exist only inside that namespace. Names start with `oct`.
 */
export async function createGuestNetwork(): Promise<GuestNetwork> {
  const id = randomBytes(3).toString('hex');
  const subnet = `10.241.${randomBytes(1)[0] as number}`;
  const portId = randomUUID();
  const tap = `tap${portId.slice(0, 11)}`;
  const bridge = `octbr${id}`;
  const namespace = `oct-${id}`;
  const mac = `fa:16:3e:${randomBytes(3).toString('hex').replace(/(..)(?!$)/g, '$1:')}`;
  const guestIp = `${subnet}.50`;
  const gatewayIp = `${subnet}.1`;
  const teardown = new Teardown();
  const directory = await mkdtemp(join(tmpdir(), `overcast-guest-net-${id}-`));
  teardown.push(`removing ${directory}`, () => rm(directory, { recursive: true, force: true }));
  let dnsmasq: Daemon | undefined;

  await teardown.guard(async () => {
    // dnsmasq drops to an unprivileged user, which must still write its lease file in here.
    await chmod(directory, 0o777);
    await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
    teardown.push(`deleting the bridge ${bridge}`, () => runCommand('ip', ['link', 'delete', bridge]));
    await runCommand('ip', ['link', 'set', bridge, 'up']);

    await runCommand('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    teardown.push(`deleting the tap ${tap}`, () => runCommand('ip', ['link', 'delete', tap]));
    await runCommand('ip', ['link', 'set', tap, 'master', bridge, 'up']);

    await runCommand('ip', ['netns', 'add', namespace]);
    teardown.push(`deleting the namespace ${namespace}`, () => runCommand('ip', ['netns', 'delete', namespace]));
    const veth = `octv${id}`;
    // The veth goes with its namespace; its root end is deleted with it.
    await runCommand('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    await runCommand('ip', ['link', 'set', veth, 'master', bridge, 'up']);
    const inside = ['-n', namespace];
    await runCommand('ip', [...inside, 'link', 'set', 'lo', 'up']);
    await runCommand('ip', [...inside, 'address', 'add', `${gatewayIp}/24`, 'dev', 'eth0']);
    await runCommand('ip', [...inside, 'link', 'set', 'eth0', 'up']);

    // `ip netns exec` execs dnsmasq, so the Daemon's PID is dnsmasq's own.
    dnsmasq = Daemon.start('dnsmasq', 'ip', [
      'netns',
      'exec',
      namespace,
      'dnsmasq',
      '--keep-in-foreground',
      '--log-facility=-',
      '--log-dhcp',
      '--no-hosts',
      '--no-resolv',
      '--port=0',
      '--interface=eth0',
      '--bind-interfaces',
      `--dhcp-range=${subnet}.0,static,255.255.255.0,600s`,
      `--dhcp-host=${mac},${guestIp}`,
      `--dhcp-leasefile=${join(directory, 'leases')}`,
    ]);
    const started = dnsmasq;
    teardown.push('stopping dnsmasq', () => started.stop());
    await waitUntil('dnsmasq serves DHCP', async () => started.hasWritten('DHCP'), [started], 10_000, 50);
  });

  return {
    portId,
    tap,
    mac,
    guestIp,
    gatewayIp,
    bridge,
    namespace,
    dnsmasqLog: () => dnsmasq?.describe() ?? '',
    close: () => teardown.close(),
  };
}
