import { runTool } from './command';

/** The fields of `qemu-img info --output=json` the driver reads. */
export interface ImageInfo {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
  'format-specific'?: { type: string; data?: { 'data-file'?: string; extents?: { filename: string }[] } };
}

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

/**
 * What qemu-img may use while reading untrusted data, as Nova and Cinder limit it (CVE-2015-5162):
 * a crafted header must not make `info` eat the host's memory or CPU.
 */
const UNTRUSTED_LIMITS = ['--as=1073741824', '--cpu=30', '--', 'qemu-img'];

export function qemuImg(args: readonly string[], failure: string): Promise<string> {
  return runTool('qemu-img', args, failure);
}

/** `qemu-img info` of untrusted data, read as `format`, or as what qemu-img guesses without one. */
export async function untrustedImageInfo(path: string, format: string | undefined, failure: string): Promise<ImageInfo> {
  const formatArgs = format === undefined ? [] : ['-f', format];
  return JSON.parse(await runTool('prlimit', [...UNTRUSTED_LIMITS, 'info', '--output=json', ...formatArgs, path], failure)) as ImageInfo;
}

/**
 * Refuses image data at `path`, said to be `format`, that must not become a base image: data in
 * another format than declared (a later probe would read it as what it is), or data that names
 * other files on the host (a backing file, a qcow2 data file, vmdk extents). Returns its virtual size.
 */
export async function checkImageData(path: string, format: string, failure: string): Promise<number> {
  const declared = await untrustedImageInfo(path, format, `${failure}: its data is not ${format}`);
  const probed = await untrustedImageInfo(path, undefined, `${failure}: its data is unreadable`);
  if (probed.format !== format) {
    throw new Error(`${failure}: its data is ${probed.format}, but the image says ${format}`);
  }
  const details = declared['format-specific']?.data;
  const extents = (details?.extents ?? []).map(({ filename }) => filename).filter((file) => file !== path);
  const others = [declared['backing-filename'], details?.['data-file'], ...extents].filter((file) => file !== undefined);
  if (others.length > 0) {
    throw new Error(`${failure}: it refers to other files (${others.join(', ')}), which is not allowed`);
  }
  return declared['virtual-size'];
}
