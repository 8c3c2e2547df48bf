import { type PortDevice, type PortSpec } from '@overcast/network/contracts';
import { type HostCommands } from '../host/host-commands';
import { deviceName } from '../host/links';

/** How the device was made, recorded on the OVS interface so a change of kind remakes it. */
export function deviceLabel(device: PortDevice): string {
  return device.kind === 'tap' ? 'tap' : `veth:${device.namespace}`;
}

/** The kernel devices behind instance ports: made before OVS takes them, deleted after. */
export class PortDevices {
  constructor(private readonly host: HostCommands) {}

  /** Makes the port's device unless it exists, and sets it up with the network's MTU. */
  async ensure(port: PortSpec, mtu: number): Promise<void> {
    const name = deviceName('tap', port.id);
    if (!(await this.exists(name))) {
      await this.create(name, port, mtu);
    }
    await this.host.run('ip', ['link', 'set', 'dev', name, 'mtu', String(mtu), 'up']);
  }

  async remove(name: string): Promise<void> {
    if (await this.exists(name)) {
      await this.host.run('ip', ['link', 'delete', 'dev', name]);
    }
  }

  private async exists(name: string): Promise<boolean> {
    return this.host.run('ip', ['link', 'show', 'dev', name]).then(
      () => true,
      () => false,
    );
  }

  private async create(name: string, port: PortSpec, mtu: number): Promise<void> {
    const device = port.device;
    switch (device.kind) {
      case 'tap':
        // The hypervisor opens it (libvirt `<interface type='ethernet'>` with managed='no').
        await this.host.run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
        return;
      case 'veth': {
        // The peer is born inside the instance's namespace as its eth0, with the port's MAC.
        const peer = ['name', 'eth0', 'address', port.macAddress, 'mtu', String(mtu), 'netns', device.namespace];
        await this.host.run('ip', ['link', 'add', name, 'type', 'veth', 'peer', ...peer]);
        // The userspace datapath (OVS 3.1) forwards a veth's TCP/UDP with the checksum left to
        // offload, i.e. unfinished: the instance computes its checksums itself instead.
        await this.host.runIn(device.namespace, 'ethtool', ['--offload', 'eth0', 'tx', 'off']);
        await this.host.run('ip', ['-n', device.namespace, 'link', 'set', 'dev', 'eth0', 'up']);
        return;
      }
    }
  }
}
