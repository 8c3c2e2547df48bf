import { FakeHypervisorDriver, type FakeHypervisorOptions } from './fake/fake-hypervisor-driver';
import { type HypervisorDriver } from './hypervisor-driver';

/** A compute agent's hypervisor, picked by `driver`. */
export type HypervisorDriverConfig = { driver: 'fake' } & FakeHypervisorOptions;

/** The driver the config describes, not started yet; an unknown driver is refused with the choices. */
export function createHypervisorDriver(config: HypervisorDriverConfig): HypervisorDriver {
  switch (config.driver) {
    case 'fake':
      return new FakeHypervisorDriver(config);
    default: {
      // Config files are not type-checked: say which value was wrong, and what it may be.
      const { driver } = config as { driver: unknown };
      throw new Error(`the compute agent's driver ${JSON.stringify(driver)} is not one of: libvirt, fake`);
    }
  }
}
