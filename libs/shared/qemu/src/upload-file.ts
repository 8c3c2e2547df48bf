import { createReadStream } from 'node:fs';
import { type Readable } from 'node:stream';

/** Streams the file at `path` to `upload`; the file is closed however the upload ends. */
export async function uploadFile(path: string, upload: (data: Readable) => Promise<void>): Promise<void> {
  const data = createReadStream(path);
  try {
    await upload(data);
  } finally {
    data.destroy();
  }
}
