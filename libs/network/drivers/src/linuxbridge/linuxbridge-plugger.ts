import { type HostCommands } from '../host/host-commands';
import { deleteLink, deviceName, listLinks } from '../host/links';
import { type NamespaceLeg, type NamespacePlugger } from '../host/namespace-plugger';
import { ensureVeth } from './bridge-ports';
import { bridgeName } from './networks';

/**
 * Plugs DHCP and router legs the Linux bridge way (Neutron's linuxbridge interface driver): a veth
 * pair whose host end `tap<port>` sits on the network's bridge and whose other end is the leg.
 * The bridge must be wired already.
 */
export class LinuxBridgePlugger implements NamespacePlugger {
  constructor(private readonly commands: HostCommands) {}

  async plug(leg: NamespaceLeg): Promise<void> {
    const name = deviceName('tap', leg.portId);
    const current = (await listLinks(this.commands)).find((link) => link.name === name);
    await ensureVeth(
      this.commands,
      name,
      current,
      { bridge: bridgeName(leg.network.networkId), mtu: leg.network.mtu, up: true },
      { namespace: leg.namespace, name: leg.deviceName, macAddress: leg.macAddress },
    );
  }

  /** Deleting the leg deletes its host end with it. */
  async unplug(namespace: string, device: string): Promise<void> {
    await deleteLink(this.commands, device, namespace);
  }
}
