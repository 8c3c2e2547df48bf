import { type UplinkNetwork } from './int-bridge.flows';
import { DROP, flow, inPort, POP_VLAN, setVlan } from './openflow';

/**
 * A provider bridge joins br-int (through its patch port) to the physical interface: frames from
 * br-int leave untagged (flat) or with the segment's VLAN id (vlan); all that comes in from the
 * wire goes to br-int, which takes what belongs to its networks.
 */
export function providerBridgeFlows(patchOfport: number, physicalOfport: number, networks: readonly UplinkNetwork[]): string[] {
  return [
    ...networks.map(({ localVlan, uplinkVlan }) =>
      flow(0, 100, [inPort(patchOfport), `dl_vlan=${localVlan}`], [uplinkVlan === undefined ? POP_VLAN : setVlan(uplinkVlan), `output:${physicalOfport}`]),
    ),
    flow(0, 100, [inPort(physicalOfport)], [`output:${patchOfport}`]),
    flow(0, 0, [], DROP),
  ];
}
