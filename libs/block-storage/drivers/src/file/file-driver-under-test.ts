import { type VolumeSpec } from '@overcast/block-storage/contracts';
import { runInNamespace } from '@overcast/shared/testing';
import { readdir } from 'node:fs/promises';
import { type CommandRunner, type DriverUnderTest, readImage, runLocally, writeImage } from '../volume-driver.compliance';
import { type FileVolumeDriver } from './file-volume-driver';

/** Where the connection info says a volume is, as qemu names it, and how to run qemu-io to reach it. */
interface Reach {
  target: string;
  format: string;
  run: CommandRunner;
}

/**
 * The file driver under the compliance suite: the data hooks reach a volume only through the
 * connection info it returns — a local path, or over NFS with qemu's own client (libnfs) from
 * `nfsClientNamespace`, the way a hypervisor without a mount would.
 */
export function fileDriverUnderTest(driver: FileVolumeDriver, directory: string, close: () => Promise<void>, nfsClientNamespace?: string): DriverUnderTest {
  async function reach<T>(volume: VolumeSpec, use: (reach: Reach) => Promise<T>): Promise<T> {
    const connector = { host: 'compliance' };
    const { driver_volume_type: type, data } = await driver.initializeConnection(volume, connector);
    try {
      const format = String(data['format']);
      if (nfsClientNamespace === undefined && type === 'local') {
        return await use({ target: String(data['device_path']), format, run: runLocally });
      }
      if (nfsClientNamespace !== undefined && type === 'nfs') {
        const [server, path] = String(data['export']).split(/:(.*)/);
        const run: CommandRunner = (command, args) => runInNamespace(nfsClientNamespace, command, args);
        return await use({ target: `nfs://${server}${path}/${String(data['name'])}`, format, run });
      }
      throw new Error(`expected driver_volume_type ${nfsClientNamespace === undefined ? 'local' : 'nfs'}, got ${type}`);
    } finally {
      await driver.terminateConnection(volume, connector);
    }
  }

  return {
    driver,
    contents: async () => (await readdir(directory)).sort(),
    readVolume: (volume, offset, length) => reach(volume, ({ target, format, run }) => readImage(target, format, offset, length, run)),
    writeVolume: (volume, offset, bytes) => reach(volume, ({ target, format, run }) => writeImage(target, format, offset, bytes, run)),
    close,
  };
}
