import { createTempDir, startNfsExport } from '@overcast/shared/testing';
import { describeVolumeDriverCompliance } from '../volume-driver.compliance';
import { fileDriverUnderTest } from './file-driver-under-test';
import { FileVolumeDriver } from './file-volume-driver';

/*
 * A storage node would run the driver on its kernel mount of the export. This kernel cannot mount
 * NFS (drivers.md §6), so the driver works on the exported directory itself: the same files, seen
 * from the server. What NFS proves here is the connection info: every read and write of the suite
 * goes to `nfs://<export>/<name>` with qemu's own client (libnfs) in the server's namespace, as a
 * hypervisor without a mount would. A compute host's kernel mount stays untested.
 */
for (const format of ['qcow2', 'raw'] as const) {
  describeVolumeDriverCompliance(`file, ${format}, on an NFS export reached with libnfs`, async () => {
    const directory = await createTempDir('overcast-nfs-volumes');
    const nfs = await startNfsExport(directory.path).catch(async (error: unknown) => {
      await directory.remove();
      throw error;
    });
    const driver = new FileVolumeDriver({ directory: directory.path, format, storageProtocol: 'nfs', nfsShare: nfs.share });
    const close = async () => {
      try {
        await nfs.close();
      } finally {
        await directory.remove();
      }
    };
    return fileDriverUnderTest(driver, directory.path, close, nfs.namespace);
  });
}
