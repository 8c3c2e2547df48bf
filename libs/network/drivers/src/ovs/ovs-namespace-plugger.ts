import { type HostCommands } from '../host/host-commands';
import { type NamespaceLeg, type NamespacePlugger } from '../host/namespace-plugger';
import { ownershipColumns } from './owned-interfaces';
import { type OvsSwitch } from './ovs-switch';

/**
 * Plugs DHCP and router legs the Neutron way: an internal port of br-int with the network's local
 * VLAN, whose device (a tap, in the userspace datapath) ovs-vswitchd makes on the host and this
 * moves into the namespace. OVS keeps serving it there (it holds the tap open); it only logs that
 * it can no longer find the device by name.
 */
export class OvsNamespacePlugger implements NamespacePlugger {
  constructor(
    private readonly host: HostCommands,
    private readonly ovs: OvsSwitch,
    private readonly integrationBridge: string,
    /** The network's local VLAN at this moment of the driver's apply(). */
    private readonly localVlanOf: (networkId: string) => number,
  ) {}

  async plug(leg: NamespaceLeg): Promise<void> {
    const name = leg.deviceName;
    const owner = { role: 'namespace' as const, portId: leg.portId, networkId: leg.network.networkId, namespace: leg.namespace };
    await this.ovs.vsctl(
      ['--may-exist', 'add-port', this.integrationBridge, name],
      ['set', 'Port', name, `tag=${this.localVlanOf(leg.network.networkId)}`],
      ['set', 'Interface', name, 'type=internal', ...ownershipColumns(owner)],
    );
    if (!(await this.isIn(leg.namespace, name))) {
      await this.host.run('ip', ['link', 'set', 'dev', name, 'netns', leg.namespace]);
    }
    await this.host.run('ip', ['-n', leg.namespace, 'link', 'set', 'dev', name, 'address', leg.macAddress, 'mtu', String(leg.network.mtu), 'up']);
  }

  async unplug(namespace: string, deviceName: string): Promise<void> {
    // OVS closes the tap when the port goes, which deletes the device wherever it is.
    await this.ovs.vsctl(['--if-exists', 'del-port', deviceName]);
    if (await this.isIn(namespace, deviceName)) {
      await this.host.run('ip', ['-n', namespace, 'link', 'delete', 'dev', deviceName]);
    }
  }

  private isIn(namespace: string, name: string): Promise<boolean> {
    return this.host.run('ip', ['-n', namespace, 'link', 'show', 'dev', name]).then(
      () => true,
      () => false,
    );
  }
}
