import { startGlusterVolume } from '@overcast/shared/testing';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeImageStoreCompliance } from '../image-store.compliance';
import { FileImageStore } from './file-store';

describeImageStoreCompliance('file, on a GlusterFS volume mounted with FUSE', async () => {
  const volume = await startGlusterVolume();
  const directory = join(volume.mountPoint, 'images');
  return {
    store: new FileImageStore('gluster', directory),
    contents: async () => (await readdir(directory).catch(() => [])).sort(),
    close: () => volume.close(),
  };
});
