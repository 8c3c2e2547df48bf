import { runTool } from './run-tool';

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

/** The fields of `qemu-img info --output=json` the drivers read. */
export interface ImageInfo {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
  'format-specific'?: {
    type: string;
    data?: {
      /** qcow2: the external file that holds the guest's data. */
      'data-file'?: string;
      /** vmdk: the files that hold the data; a descriptor may name any file on the host. */
      extents?: { filename: string }[];
    };
  };
}

/**
 * What qemu-img may use while reading untrusted data, as Nova and Cinder limit it (CVE-2015-5162):
 * a crafted header must not make `info` eat the host's memory or CPU.
 */
const UNTRUSTED_LIMITS = ['--as=1073741824', '--cpu=30', '--', 'qemu-img'];

/** Runs qemu-img; on failure the Error says `failure` and qemu-img's own message. */
export function qemuImg(args: readonly string[], failure: string): Promise<string> {
  return runTool('qemu-img', args, failure);
}

/**
 * `qemu-img info` of `path`, read as `format`, or as whatever qemu-img guesses it is without one;
 * with -U, as a guest may hold the file open. `untrusted` data is read under prlimit.
 */
export async function imageInfo(path: string, format: string | undefined, failure: string, options: { untrusted?: boolean } = {}): Promise<ImageInfo> {
  const args = ['info', '--output=json', '-U', ...(format === undefined ? [] : ['-f', format]), path];
  const output = options.untrusted ? await runTool('prlimit', [...UNTRUSTED_LIMITS, ...args], failure) : await qemuImg(args, failure);
  return JSON.parse(output) as ImageInfo;
}

/**
 * Refuses untrusted image data at `path`, said to be `format` (qemu's name for it; `declared` is
 * the image's own name, for messages), that qemu must not read as a disk: data in another format
 * than declared (a later probe would read it as what it is), or data that names other files on
 * the host (a backing file, a qcow2 data file, vmdk extents). Returns its virtual size.
 */
export async function checkImageData(path: string, format: string, failure: string, declared = format): Promise<number> {
  // One after the other: a caller may run qemu-img one at a time.
  const info = await imageInfo(path, format, `${failure}: its data is not ${declared}`, { untrusted: true });
  const probed = await imageInfo(path, undefined, `${failure}: its data is unreadable`, { untrusted: true });
  if (probed.format !== format) {
    throw new Error(`${failure}: its data is ${probed.format}, but the image says ${declared}`);
  }
  const details = info['format-specific']?.data;
  const extents = (details?.extents ?? []).map(({ filename }) => filename).filter((file) => file !== path);
  const others = [info['backing-filename'], details?.['data-file'], ...extents].filter((file) => file !== undefined);
  if (others.length > 0) {
    throw new Error(`${failure}: it refers to other files (${others.join(', ')}), which is not allowed`);
  }
  return info['virtual-size'];
}
