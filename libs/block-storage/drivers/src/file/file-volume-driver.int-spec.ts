import { createTempDir, type TempDir } from '@overcast/shared/testing';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeVolumeDriverCompliance } from '../volume-driver.compliance';
import { fileDriverUnderTest } from './file-driver-under-test';
import { FileVolumeDriver } from './file-volume-driver';

for (const format of ['qcow2', 'raw'] as const) {
  describeVolumeDriverCompliance(`file, ${format}, on a local directory`, async () => {
    const directory = await createTempDir('overcast-file-volumes');
    return fileDriverUnderTest(new FileVolumeDriver({ directory: directory.path, format }), directory.path, () => directory.remove());
  });
}

describe('FileVolumeDriver', () => {
  let directory: TempDir;

  beforeEach(async () => {
    directory = await createTempDir('overcast-file-volumes');
  });
  afterEach(() => directory.remove());

  it('refuses to start without its directory, naming it', async () => {
    const missing = join(directory.path, 'volumes');
    await expect(new FileVolumeDriver({ directory: missing, format: 'raw' }).start()).rejects.toThrow(missing);
  });

  it('takes an NFS share with the nfs protocol, and only then', () => {
    expect(() => new FileVolumeDriver({ directory: directory.path, format: 'raw', storageProtocol: 'nfs' })).toThrow('nfsShare');
    expect(() => new FileVolumeDriver({ directory: directory.path, format: 'raw', nfsShare: 'server:/srv' })).toThrow('nfsShare');
    expect(() => new FileVolumeDriver({ directory: directory.path, format: 'raw', storageProtocol: 'nfs', nfsShare: '/srv' })).toThrow("'server:/export'");
  });

  it('offers multiattach for raw files only: qcow2 metadata cannot be shared by writers', () => {
    expect(new FileVolumeDriver({ directory: directory.path, format: 'raw' }).capabilities.multiattach).toBe(true);
    expect(new FileVolumeDriver({ directory: directory.path, format: 'qcow2' }).capabilities.multiattach).toBe(false);
  });

  it("returns Cinder's connection info: nfs with the share, else os-brick's local", async () => {
    const volume = { id: 'v1', sizeGb: 1 };
    const local = new FileVolumeDriver({ directory: directory.path, format: 'qcow2', storageProtocol: 'glusterfs' });
    const nfs = new FileVolumeDriver({ directory: directory.path, format: 'qcow2', storageProtocol: 'nfs', nfsShare: 'nas:/srv/volumes' });
    await local.createVolume(volume);
    expect(await local.initializeConnection(volume, {})).toEqual({ driver_volume_type: 'local', data: { device_path: join(directory.path, 'volume-v1'), format: 'qcow2' } });
    expect(await nfs.initializeConnection(volume, {})).toEqual({ driver_volume_type: 'nfs', data: { export: 'nas:/srv/volumes', name: 'volume-v1', format: 'qcow2' } });
  });

  it('removes what it was making when a copy fails half-way', async () => {
    const driver = new FileVolumeDriver({ directory: directory.path, format: 'raw' });
    const snapshot = { id: 's1', volumeId: 'v1', sizeGb: 2 };
    await driver.createVolume({ id: 'v1', sizeGb: 2 });
    await driver.createSnapshot(snapshot);
    // The copy is made, then cannot shrink to 1 GiB.
    await expect(driver.createVolumeFromSnapshot({ id: 'v2', sizeGb: 1 }, snapshot)).rejects.toThrow('could not create volume v2 from snapshot s1: it already holds 2 GiB, and volumes never shrink');
    expect(await readdir(directory.path)).toEqual(['snapshot-s1', 'volume-v1']);
  });
});
