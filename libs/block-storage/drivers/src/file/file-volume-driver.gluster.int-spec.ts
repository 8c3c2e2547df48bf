import { type GlusterVolume, startGlusterVolume } from '@overcast/shared/testing';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeVolumeDriverCompliance } from '../volume-driver.compliance';
import { fileDriverUnderTest } from './file-driver-under-test';
import { FileVolumeDriver } from './file-volume-driver';

// One GlusterFS volume (3–10 s to start) for both formats, each in a directory of its own.
let gluster: Promise<GlusterVolume> | undefined;
afterAll(async () => {
  await (await gluster)?.close();
});

for (const format of ['qcow2', 'raw'] as const) {
  describeVolumeDriverCompliance(
    `file, ${format}, on a GlusterFS volume mounted with FUSE`,
    async () => {
      gluster ??= startGlusterVolume();
      const directory = join((await gluster).mountPoint, format);
      await mkdir(directory);
      const driver = new FileVolumeDriver({ directory, format, storageProtocol: 'glusterfs' });
      return fileDriverUnderTest(driver, directory, () => rm(directory, { recursive: true, force: true }));
    },
    120_000,
  );
}
