import { type NetworkSegment } from '@overcast/network/contracts';

/** A network device to put into a namespace the DHCP or L3 code owns (a `ns-…`, `qr-…` or `qg-…` leg). */
export interface NamespaceLeg {
  /** The Neutron port the leg stands for; the L2 driver names its host side after it. */
  portId: string;
  network: NetworkSegment;
  /** The full namespace name (HostCommands.namespaceName already applied); it exists. */
  namespace: string;
  /** The device's name inside the namespace. */
  deviceName: string;
  macAddress: string;
}

/**
 * How an L2 driver attaches a device inside a namespace to a network, so the DHCP and L3 code
 * (dhcp/, l3/) serve any L2 driver: Linux bridge plugs a veth into the network's bridge, Open vSwitch
 * would plug an internal port into its integration bridge. Both calls are idempotent.
 */
export interface NamespacePlugger {
  /** Makes `leg.deviceName` exist in `leg.namespace`, on the network, with the MAC and the network's MTU, and up. */
  plug(leg: NamespaceLeg): Promise<void>;
  /**
   * Removes a leg found in a namespace (its port may be long gone, so only its names are known)
   * together with whatever the driver made for it outside the namespace. Nothing there is fine.
   */
  unplug(namespace: string, deviceName: string): Promise<void>;
}
