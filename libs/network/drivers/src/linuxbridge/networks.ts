import { type NetworkSegment, type TunnelPeer } from '@overcast/network/contracts';
import { type HostCommands } from '../host/host-commands';
import { deviceName, type Link } from '../host/links';
import { type HostWiringSettings } from '../l2-driver';
import { attach } from './bridge-ports';

export const VXLAN_PORT = 4789;

export const bridgeName = (networkId: string) => deviceName('brq', networkId);
export const vxlanName = (vni: number) => `vxlan-${vni}`;

/** What connects a network's bridge to the other hosts. */
export type Uplink =
  /**
   * VXLAN from the host's tunnel endpoint: unicast copies to the peers that have the VNI
   * (l2population-style flooding list), or, with a group, multicast and learning.
   */
  | { kind: 'vxlan'; device: string; vni: number; localIp: string; via: string; peers: string[]; group?: string }
  /** A flat network: the physical network's interface itself. */
  | { kind: 'physical'; device: string }
  | { kind: 'vlan'; device: string; parent: string; vlanId: number }
  /** A local network stays on this host. */
  | { kind: 'none' };

export interface NetworkPlan {
  segment: NetworkSegment;
  bridge: string;
  uplink: Uplink;
}

export interface NetworkPlans {
  wired: NetworkPlan[];
  /** Networks this host cannot wire, by id, each with why. */
  failures: Map<string, string>;
}

/** The kernel's limit on a device name. */
const MAX_DEVICE_NAME = 15;

function physicalDevice(segment: NetworkSegment, settings: HostWiringSettings): string {
  const device = segment.physicalNetwork === undefined ? undefined : settings.physicalInterfaces[segment.physicalNetwork];
  if (device === undefined) {
    throw new Error(`physical network ${String(segment.physicalNetwork)} is not mapped to an interface on host ${settings.host}`);
  }
  return device;
}

function segmentationId(segment: NetworkSegment): number {
  if (segment.segmentationId === undefined) {
    throw new Error(`${segment.networkType} network ${segment.networkId} has no segmentation id`);
  }
  return segment.segmentationId;
}

function planUplink(segment: NetworkSegment, settings: HostWiringSettings, peers: readonly TunnelPeer[], vlanUnavailable: string | undefined): Uplink {
  switch (segment.networkType) {
    case 'local':
      return { kind: 'none' };
    case 'flat':
      return { kind: 'physical', device: physicalDevice(segment, settings) };
    case 'vxlan': {
      const vni = segmentationId(segment);
      if (settings.tunnelIp === undefined || settings.tunnelInterface === undefined) {
        throw new Error(`host ${settings.host} has no tunnel endpoint (tunnelIp and tunnelInterface) for VXLAN networks`);
      }
      const peerIps = peers.filter((peer) => peer.segmentationIds.includes(vni) && peer.ip !== settings.tunnelIp).map((peer) => peer.ip);
      const tunnel = { kind: 'vxlan' as const, device: vxlanName(vni), vni, localIp: settings.tunnelIp, via: settings.tunnelInterface };
      return settings.vxlanGroup === undefined ? { ...tunnel, peers: [...new Set(peerIps)] } : { ...tunnel, peers: [], group: settings.vxlanGroup };
    }
    case 'vlan': {
      if (vlanUnavailable !== undefined) {
        throw new Error(`VLAN networks cannot be wired on host ${settings.host}: ${vlanUnavailable}`);
      }
      const parent = physicalDevice(segment, settings);
      const vlanId = segmentationId(segment);
      const device = `${parent}.${vlanId}`;
      if (device.length > MAX_DEVICE_NAME) {
        throw new Error(`the VLAN device name ${device} is longer than ${MAX_DEVICE_NAME} characters`);
      }
      return { kind: 'vlan', device, parent, vlanId };
    }
  }
}

/**
 * How each network is wired on this host, or why it cannot be. `vlanUnavailable` says why VLAN
 * networks cannot be wired here (undefined where 802.1q works).
 */
export function planNetworks(
  segments: readonly NetworkSegment[],
  settings: HostWiringSettings,
  peers: readonly TunnelPeer[],
  vlanUnavailable: string | undefined,
): NetworkPlans {
  const plans: NetworkPlans = { wired: [], failures: new Map() };
  const physicalUsers = new Map<string, string>();
  for (const segment of segments) {
    try {
      const uplink = planUplink(segment, settings, peers, vlanUnavailable);
      // A bridge port belongs to one bridge: a second flat network on the same interface cannot be.
      if (uplink.kind === 'physical') {
        const user = physicalUsers.get(uplink.device);
        if (user !== undefined) {
          throw new Error(`interface ${uplink.device} of physical network ${String(segment.physicalNetwork)} already carries network ${user}`);
        }
        physicalUsers.set(uplink.device, segment.networkId);
      }
      plans.wired.push({ segment, bridge: bridgeName(segment.networkId), uplink });
    } catch (error) {
      plans.failures.set(segment.networkId, (error as Error).message);
    }
  }
  return plans;
}

/** The devices a plan makes (a physical interface is only borrowed). */
export function ownDevicesOf(plan: NetworkPlan): string[] {
  return plan.uplink.kind === 'vxlan' || plan.uplink.kind === 'vlan' ? [plan.bridge, plan.uplink.device] : [plan.bridge];
}

/**
 * Whether a device is one this driver makes for networks: `brq…` bridges, `vxlan-<vni>` and
 * `<physical interface>.<vlan id>` devices. Nothing else on the host is ever touched.
 */
export function isNetworkDevice(name: string, settings: HostWiringSettings): boolean {
  const vlanParent = /^(.+)\.\d+$/.exec(name)?.[1];
  return /^brq.{1,11}$/.test(name) || /^vxlan-\d+$/.test(name) || (vlanParent !== undefined && Object.values(settings.physicalInterfaces).includes(vlanParent));
}

/** Makes the network's bridge and its uplink; `links` is the host's devices as they are. */
export async function wireNetwork(commands: HostCommands, links: ReadonlyMap<string, Link>, plan: NetworkPlan): Promise<void> {
  const { bridge, segment, uplink } = plan;
  const current = links.get(bridge);
  if (current === undefined) {
    await commands.run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  }
  const mtu = segment.mtu;
  if (current?.mtu !== mtu || !current.up) {
    await commands.run('ip', ['link', 'set', 'dev', bridge, 'mtu', String(mtu), 'up']);
  }
  switch (uplink.kind) {
    case 'none':
      return;
    case 'physical': {
      const device = links.get(uplink.device);
      if (device === undefined) {
        throw new Error(`interface ${uplink.device} of physical network ${String(segment.physicalNetwork)} does not exist`);
      }
      // The physical interface keeps its own MTU: it may carry more than this network.
      await attach(commands, uplink.device, device, { bridge, up: true });
      return;
    }
    case 'vlan': {
      const device = links.get(uplink.device);
      if (device === undefined) {
        await commands.run('ip', ['link', 'add', 'link', uplink.parent, 'name', uplink.device, 'type', 'vlan', 'id', String(uplink.vlanId)]);
      }
      await attach(commands, uplink.device, device, { bridge, mtu, up: true });
      return;
    }
    case 'vxlan':
      await ensureVxlan(commands, links.get(uplink.device), uplink, bridge, mtu);
      // With a group the kernel keeps the group's own flood entry; the list is for unicast.
      if (uplink.group === undefined) {
        await syncFloodList(commands, uplink);
      }
      return;
  }
}

async function ensureVxlan(commands: HostCommands, current: Link | undefined, uplink: Extract<Uplink, { kind: 'vxlan' }>, bridge: string, mtu: number): Promise<void> {
  const data = current?.data ?? {};
  const multicast = uplink.group !== undefined;
  const matches =
    current?.kind === 'vxlan' &&
    data['id'] === uplink.vni &&
    data['local'] === uplink.localIp &&
    data['link'] === uplink.via &&
    data['port'] === VXLAN_PORT &&
    data['learning'] === multicast &&
    data['group'] === uplink.group;
  let existing = matches ? current : undefined;
  if (current !== undefined && !matches) {
    // Made with other settings (the tunnel address changed): made again.
    await commands.run('ip', ['link', 'delete', uplink.device]);
    existing = undefined;
  }
  if (existing === undefined) {
    const vni = String(uplink.vni);
    // Multicast learns where MACs live; unicast is told (the flood list), so it does not learn.
    const delivery = multicast ? ['group', uplink.group ?? '', 'learning'] : ['nolearning'];
    await commands.run('ip', ['link', 'add', uplink.device, 'type', 'vxlan', 'id', vni, 'local', uplink.localIp, 'dev', uplink.via, 'dstport', String(VXLAN_PORT), ...delivery]);
  }
  await attach(commands, uplink.device, existing, { bridge, mtu, up: true });
}

const ALL_ZEROS = '00:00:00:00:00:00';

/** One all-zeros FDB entry per peer: broadcast and unknown traffic goes to each peer that has the VNI, and only there. */
async function syncFloodList(commands: HostCommands, uplink: Extract<Uplink, { kind: 'vxlan' }>): Promise<void> {
  const entries = JSON.parse(await commands.run('bridge', ['-j', 'fdb', 'show', 'dev', uplink.device])) as { mac: string; dst?: string }[];
  const present = entries.filter(({ mac, dst }) => mac === ALL_ZEROS && dst !== undefined).map(({ dst }) => dst as string);
  for (const peer of present.filter((dst) => !uplink.peers.includes(dst))) {
    await commands.run('bridge', ['fdb', 'delete', ALL_ZEROS, 'dev', uplink.device, 'dst', peer]);
  }
  for (const peer of uplink.peers.filter((ip) => !present.includes(ip))) {
    await commands.run('bridge', ['fdb', 'append', ALL_ZEROS, 'dev', uplink.device, 'dst', peer]);
  }
}
