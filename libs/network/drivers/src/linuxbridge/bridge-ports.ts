import { type HostCommands } from '../host/host-commands';
import { ip, type Link } from '../host/links';

/** Where a device belongs: on a bridge, with an MTU (left alone when absent), up or down. */
export interface Attachment {
  bridge: string;
  mtu?: number;
  up: boolean;
}

/** Puts a device on its bridge with its MTU and state, changing only what differs from `current` (undefined: just made). */
export async function attach(commands: HostCommands, name: string, current: Link | undefined, wanted: Attachment): Promise<void> {
  const changes: string[] = [];
  if (current?.master !== wanted.bridge) {
    changes.push('master', wanted.bridge);
  }
  if (wanted.mtu !== undefined && current?.mtu !== wanted.mtu) {
    changes.push('mtu', String(wanted.mtu));
  }
  if (current?.up !== wanted.up) {
    changes.push(wanted.up ? 'up' : 'down');
  }
  if (changes.length > 0) {
    await commands.run('ip', ['link', 'set', 'dev', name, ...changes]);
  }
}

/** `current` if it is of `kind`; otherwise it is deleted, to be made again right. */
async function reusable(commands: HostCommands, current: Link | undefined, kind: string): Promise<Link | undefined> {
  if (current !== undefined && current.kind !== kind) {
    await commands.run('ip', ['link', 'delete', current.name]);
    return undefined;
  }
  return current;
}

/** A persistent tap on the bridge, for a hypervisor to open (libvirt `<target dev='tap…' managed='no'/>`). */
export async function ensureTap(commands: HostCommands, name: string, current: Link | undefined, wanted: Attachment): Promise<void> {
  const existing = await reusable(commands, current, 'tun');
  if (existing === undefined) {
    await commands.run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  }
  await attach(commands, name, existing, wanted);
}

export interface VethPeer {
  /** An existing network namespace (machine-wide name) the peer lives in. */
  namespace: string;
  name: string;
  macAddress: string;
}

/** A veth pair: `name` on the bridge, its peer in another namespace with the port's MAC, up. */
export async function ensureVeth(commands: HostCommands, name: string, current: Link | undefined, wanted: Attachment & { mtu: number }, peer: VethPeer): Promise<void> {
  const existing = await reusable(commands, current, 'veth');
  if (existing === undefined) {
    const mtu = String(wanted.mtu);
    await commands.run('ip', ['link', 'add', name, 'mtu', mtu, 'type', 'veth', 'peer', 'name', peer.name, 'mtu', mtu, 'netns', peer.namespace]);
  }
  // Every time, so a pair whose set-up was cut short is finished now.
  await ip(commands, peer.namespace, ['link', 'set', 'dev', peer.name, 'address', peer.macAddress, 'up']);
  await attach(commands, name, existing, wanted);
}
