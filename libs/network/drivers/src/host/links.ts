import { type HostCommands } from './host-commands';

/** What the drivers read of a network device (`ip -d -j link show`). */
export interface Link {
  name: string;
  /** bridge, vxlan, veth, tun, vlan…; absent for plain devices. */
  kind?: string;
  master?: string;
  /** Administratively up. */
  up: boolean;
  mtu: number;
  address: string;
  /** The kind's own settings (a VXLAN device's id, local address, port, learning…). */
  data: Record<string, unknown>;
}

interface IpLink {
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

/** The devices of the host, or of the namespace `namespace`. */
export async function listLinks(commands: HostCommands, namespace?: string): Promise<Link[]> {
  const links = JSON.parse(await ip(commands, namespace, ['-d', '-j', 'link', 'show'])) as IpLink[];
  return links.map((link) => ({
    name: link.ifname,
    kind: link.linkinfo?.info_kind,
    master: link.master,
    up: link.flags.includes('UP'),
    mtu: link.mtu,
    address: link.address ?? '',
    data: link.linkinfo?.info_data ?? {},
  }));
}

/** Runs `ip` on the host, or inside the named namespace `namespace` (names are machine-wide, so `ip -n` finds it from anywhere). */
export function ip(commands: HostCommands, namespace: string | undefined, args: readonly string[]): Promise<string> {
  return namespace === undefined ? commands.run('ip', args) : commands.runOnMachine('ip', ['-n', namespace, ...args]);
}

/** Deletes a device if it exists (deleting one end of a veth pair deletes both). */
export async function deleteLink(commands: HostCommands, name: string, namespace?: string): Promise<void> {
  const existing = await listLinks(commands, namespace);
  if (existing.some((link) => link.name === name)) {
    await ip(commands, namespace, ['link', 'delete', name]);
  }
}

/**
 * A device's name after its owner's id, Neutron-style: a three-letter prefix and the id's first
 * eleven characters (`tap…`, `brq…`, `ns-…`, `qr-…`, `qg-…`) fit the kernel's fifteen.
 */
export function deviceName(prefix: string, id: string): string {
  return `${prefix}${id.slice(0, 11)}`;
}
