import { FakeVolumeDriver } from './fake/fake-volume-driver';
import { FileVolumeDriver, type FileVolumeDriverOptions } from './file/file-volume-driver';
import { RbdVolumeDriver, type RbdVolumeDriverSettings } from './rbd/rbd-volume-driver';
import { type VolumeDriver } from './volume-driver';

/** One configured backend of a volume agent (an entry of `volume-agent.backends`), picked by `driver`. */
export type VolumeDriverConfig = { name: string } & (
  | ({ driver: 'file' } & FileVolumeDriverOptions)
  | ({ driver: 'rbd' } & RbdVolumeDriverSettings)
  | { driver: 'fake'; totalCapacityGb?: number }
);

/** The driver a backend's config describes, not started yet; an unknown driver is refused with the choices. */
export async function createVolumeDriver(config: VolumeDriverConfig): Promise<VolumeDriver> {
  switch (config.driver) {
    case 'file':
      return new FileVolumeDriver(config);
    case 'rbd':
      return RbdVolumeDriver.open(config);
    case 'fake':
      return new FakeVolumeDriver(config.totalCapacityGb);
    default: {
      // Config files are not type-checked: say which value was wrong, and what it may be.
      const { driver, name } = config as { driver: unknown; name: unknown };
      throw new Error(`the volume backend ${JSON.stringify(name)} has driver ${JSON.stringify(driver)}, which is not one of: file, rbd, fake`);
    }
  }
}
