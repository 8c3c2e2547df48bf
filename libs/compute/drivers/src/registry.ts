import { FakeHypervisorDriver, type FakeHypervisorOptions } from './fake/fake-hypervisor-driver';
import { type HypervisorDriver } from './hypervisor-driver';
import { LibvirtDriver, type LibvirtDriverOptions } from './libvirt/libvirt-driver';

/** A compute agent's hypervisor, picked by `driver`. */
export type HypervisorDriverConfig = ({ driver: 'fake' } & FakeHypervisorOptions) | ({ driver: 'libvirt' } & LibvirtDriverOptions);

/** The driver the config describes, not started yet; an unknown driver is refused with the choices. */
export function createHypervisorDriver(config: HypervisorDriverConfig): HypervisorDriver {
  switch (config.driver) {
    case 'fake':
      return new FakeHypervisorDriver(config);
    case 'libvirt':
      return new LibvirtDriver(config);
    default: {
      // Config files are not type-checked: say which value was wrong, and what it may be.
      const { driver } = config as { driver: unknown };
      throw new Error(`the compute agent's driver ${JSON.stringify(driver)} is not one of: libvirt, fake`);
    }
  }
}
