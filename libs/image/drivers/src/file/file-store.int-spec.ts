import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImageStoreCompliance } from '../image-store.compliance';
import { FileImageStore } from './file-store';

describeImageStoreCompliance('file, on a local directory', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'overcast-file-store-'));
  return {
    store: new FileImageStore('local', join(directory, 'images')),
    contents: async () => (await readdir(join(directory, 'images')).catch(() => [])).sort(),
    close: () => rm(directory, { recursive: true, force: true }),
  };
});
