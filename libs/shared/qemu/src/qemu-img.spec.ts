import { createTempDir, type TempDir } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable } from 'node:stream';
import { checkImageData, MIB, qemuImg } from './qemu-img';
import { runTool } from './run-tool';
import { uploadFile } from './upload-file';

describe('runTool', () => {
  it("says what failed and the tool's first line", async () => {
    await expect(runTool('sh', ['-c', 'printf "\\nbad input\\nusage: ...\\n" >&2; exit 1'], 'could not run it')).rejects.toThrow(/^could not run it: bad input$/);
  });

  it('names the package of a missing tool', async () => {
    await expect(runTool('overcast-missing-tool', [], 'could not run it', { package: 'overcast-tools' })).rejects.toThrow(
      'could not run it: overcast-missing-tool is not installed (it comes with the overcast-tools package)',
    );
  });

  it('stops a tool that takes too long, and feeds one its input', async () => {
    await expect(runTool('sleep', ['5'], 'could not wait', { timeoutMs: 100 })).rejects.toThrow('could not wait: sleep did not finish within 100 ms');
    expect(await runTool('cat', [], 'could not echo', { input: 'hello' })).toBe('hello');
  });
});

describe('checkImageData', () => {
  let directory: TempDir;

  beforeEach(async () => {
    directory = await createTempDir('overcast-qemu');
  });
  afterEach(() => directory.remove());

  async function imageFile(format: string, ...options: string[]): Promise<string> {
    const path = join(directory.path, `${randomUUID()}.${format}`);
    await qemuImg(['create', '-q', '-f', format, ...options, path, '8M'], 'could not create the test image');
    return path;
  }

  it('returns the virtual size of data that is what it says', async () => {
    expect(await checkImageData(await imageFile('qcow2'), 'qcow2', 'refused')).toBe(8 * MIB);
  });

  it('refuses data in another format than declared, naming the format as the image does', async () => {
    const qcow2 = await imageFile('qcow2');
    await expect(checkImageData(qcow2, 'raw', 'refused')).rejects.toThrow('refused: its data is qcow2, but the image says raw');
    await expect(checkImageData(qcow2, 'vpc', 'refused', 'vhd')).rejects.toThrow('refused: its data is not vhd');
  });

  it('refuses data that names other files', async () => {
    const base = await imageFile('raw');
    await expect(checkImageData(await imageFile('qcow2', '-b', base, '-F', 'raw'), 'qcow2', 'refused')).rejects.toThrow(
      `refused: it refers to other files (${base}), which is not allowed`,
    );
  });
});

describe('uploadFile', () => {
  it('streams the file and closes it however the upload ends', async () => {
    const directory = await createTempDir('overcast-qemu');
    try {
      const path = join(directory.path, 'image');
      await writeFile(path, 'image data');
      await uploadFile(path, async (data) => {
        expect(Buffer.concat(await data.toArray()).toString()).toBe('image data');
      });
      let stream: Readable | undefined;
      await expect(
        uploadFile(path, async (data) => {
          stream = data;
          throw new Error('the image service went away');
        }),
      ).rejects.toThrow('the image service went away');
      expect(stream?.destroyed).toBe(true);
    } finally {
      await directory.remove();
    }
  });
});
