import { type NetworkSegment, type TunnelPeer } from '@overcast/network/contracts';
import { type IntBridgePort, intBridgeFlows, type IntBridgeUplink, type UplinkNetwork } from './int-bridge.flows';
import { PATCH_TO_INTEGRATION, PATCH_TO_TUNNELS, providerPatches, tunnelPortName } from './ovs-names';
import { type ResolvedOvsSettings } from './ovs-settings';
import { providerBridgeFlows } from './provider-bridge.flows';
import { type TunnelPort, tunnelBridgeFlows } from './tunnel-bridge.flows';

/** What the flows of a host's bridges follow from. */
export interface HostFlowInputs {
  settings: Pick<ResolvedOvsSettings, 'integrationBridge' | 'tunnelBridge' | 'tunnelIp' | 'providerBridges'>;
  networks: readonly NetworkSegment[];
  tunnelPeers: readonly TunnelPeer[];
  localVlans: ReadonlyMap<string, number>;
  /** The ports on br-int that OVS has opened. */
  ports: readonly IntBridgePort[];
  /** The OpenFlow port of each interface OVS has opened, by name. */
  ofports: ReadonlyMap<string, number>;
}

/** Every bridge's complete flow table, by bridge name. */
export function hostFlows(inputs: HostFlowInputs): Map<string, string[]> {
  const { settings } = inputs;
  const flows = new Map<string, string[]>();
  const uplinks: IntBridgeUplink[] = [];
  if (settings.tunnelIp !== undefined) {
    const tunnel = tunnelBridge(inputs);
    uplinks.push(tunnel.uplink);
    flows.set(settings.tunnelBridge, tunnel.flows);
  }
  for (const provider of settings.providerBridges) {
    const physical = providerBridge(inputs, provider);
    uplinks.push(physical.uplink);
    flows.set(provider.bridge, physical.flows);
  }
  flows.set(settings.integrationBridge, intBridgeFlows(inputs.ports, uplinks));
  return flows;
}

/** The OpenFlow port of one of the driver's own interfaces (a patch port, a tunnel, a physical interface). */
function ofportOf(inputs: HostFlowInputs, name: string): number {
  const ofport = inputs.ofports.get(name);
  if (ofport === undefined) {
    throw new Error(`OVS has not opened ${name} (did start() run?)`);
  }
  return ofport;
}

function localVlanOf(inputs: HostFlowInputs, network: NetworkSegment): number {
  const vlan = inputs.localVlans.get(network.networkId);
  if (vlan === undefined) {
    throw new Error(`network ${network.networkId} has no local VLAN`);
  }
  return vlan;
}

/** br-tun: local VLAN ↔ VNI; br-int sees the VXLAN networks tagged with their local VLAN on patch-tun. */
function tunnelBridge(inputs: HostFlowInputs): { uplink: IntBridgeUplink; flows: string[] } {
  const vxlans = inputs.networks.filter((network) => network.networkType === 'vxlan');
  const tunnels: TunnelPort[] = inputs.tunnelPeers
    .filter((peer) => inputs.ofports.has(tunnelPortName(peer.ip)))
    .map((peer) => ({ ofport: ofportOf(inputs, tunnelPortName(peer.ip)), vnis: peer.segmentationIds }));
  const networks = vxlans.map((network) => ({ localVlan: localVlanOf(inputs, network), vni: network.segmentationId as number }));
  return {
    uplink: { ofport: ofportOf(inputs, PATCH_TO_TUNNELS), networks: networks.map(({ localVlan }) => ({ localVlan, uplinkVlan: localVlan })) },
    flows: tunnelBridgeFlows(ofportOf(inputs, PATCH_TO_INTEGRATION), tunnels, networks),
  };
}

/** A provider bridge: its flat network untagged, its VLAN networks with their segment's tag. */
function providerBridge(inputs: HostFlowInputs, provider: ResolvedOvsSettings['providerBridges'][number]): { uplink: IntBridgeUplink; flows: string[] } {
  const patches = providerPatches(provider.bridge);
  const networks: UplinkNetwork[] = inputs.networks
    .filter((network) => (network.networkType === 'flat' || network.networkType === 'vlan') && network.physicalNetwork === provider.physicalNetwork)
    .map((network) => ({ localVlan: localVlanOf(inputs, network), uplinkVlan: network.networkType === 'vlan' ? network.segmentationId : undefined }));
  return {
    uplink: { ofport: ofportOf(inputs, patches.onIntegration), networks },
    flows: providerBridgeFlows(ofportOf(inputs, patches.onProvider), ofportOf(inputs, provider.interface), networks),
  };
}
