import { DROP, flow, gotoTable, inPort, POP_VLAN, pushVlan } from './openflow';

export const TunTable = {
  classify: 0,
  /** From br-int: local VLAN → VNI, out to the peers that have the network. */
  toTunnels: 1,
  /** From a peer: VNI → local VLAN, into br-int. */
  fromTunnels: 2,
} as const;

/** A VXLAN network on this host. */
export interface TunnelNetwork {
  localVlan: number;
  vni: number;
}

/** The VXLAN port (`key=flow`) to one peer, and the VNIs the peer has. */
export interface TunnelPort {
  ofport: number;
  vnis: readonly number[];
}

/** A frame goes only to the peers that have its network, and is taken only from them. */
export function tunnelBridgeFlows(patchOfport: number, tunnels: readonly TunnelPort[], networks: readonly TunnelNetwork[]): string[] {
  const withVni = (vni: number) => tunnels.filter((tunnel) => tunnel.vnis.includes(vni));
  return [
    flow(TunTable.classify, 100, [inPort(patchOfport)], [gotoTable(TunTable.toTunnels)]),
    ...tunnels.map((tunnel) => flow(TunTable.classify, 100, [inPort(tunnel.ofport)], [gotoTable(TunTable.fromTunnels)])),
    flow(TunTable.classify, 0, [], DROP),
    ...networks
      .filter(({ vni }) => withVni(vni).length > 0)
      .map(({ localVlan, vni }) =>
        flow(TunTable.toTunnels, 100, [`dl_vlan=${localVlan}`], [POP_VLAN, `set_field:${vni}->tun_id`, ...withVni(vni).map((tunnel) => `output:${tunnel.ofport}`)]),
      ),
    flow(TunTable.toTunnels, 0, [], DROP),
    ...networks.flatMap(({ localVlan, vni }) =>
      withVni(vni).map((tunnel) => flow(TunTable.fromTunnels, 100, [inPort(tunnel.ofport), `tun_id=${vni}`], [...pushVlan(localVlan), `output:${patchOfport}`])),
    ),
    flow(TunTable.fromTunnels, 0, [], DROP),
  ];
}
