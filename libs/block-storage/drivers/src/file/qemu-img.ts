import { execFile } from 'node:child_process';

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

export const GIB = 1024 ** 3;

/** Bytes in GiB, to two decimals, for capacities and messages. */
export function gib(bytes: number): number {
  return Math.round((bytes / GIB) * 100) / 100;
}

/** Glance's disk formats as qemu names them; qemu reads an ISO as raw. */
const QEMU_FORMATS = new Map([
  ['raw', 'raw'],
  ['qcow2', 'qcow2'],
  ['vmdk', 'vmdk'],
  ['vdi', 'vdi'],
  ['vhd', 'vpc'],
  ['vhdx', 'vhdx'],
  ['iso', 'raw'],
]);

/**
 * What qemu-img may use while reading untrusted data, as Cinder limits it (CVE-2015-5162): a
 * crafted header must not make `info` eat the host's memory or CPU.
 */
const UNTRUSTED_LIMITS = ['prlimit', '--as=1073741824', '--cpu=30', '--'];

/** The first line qemu-img wrote to stderr: its message, without the usage text that may follow. */
function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'no message';
}

/**
 * Runs qemu-img (never through a shell); resolves with its stdout. On failure the Error says
 * `failure` (what could not be done, in a user's terms) and qemu-img's own message.
 */
export function qemuImg(args: readonly string[], failure: string, options: { untrusted?: boolean } = {}): Promise<string> {
  const [command, ...rest] = options.untrusted ? [...UNTRUSTED_LIMITS, 'qemu-img', ...args] : ['qemu-img', ...args];
  return new Promise((resolve, reject) => {
    execFile(command as string, rest, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
      } else if (error.code === 'ENOENT') {
        reject(new Error(`${failure}: ${command as string} is not installed (qemu-img comes with qemu-utils, prlimit with util-linux)`));
      } else {
        reject(new Error(`${failure}: ${firstLine(stderr || error.message)}`));
      }
    });
  });
}

/** `qemu-img info` of `path`, read as `format`, or as whatever qemu-img guesses it is without one. */
export async function imageInfo(path: string, format: string | undefined, failure: string, options: { untrusted?: boolean } = {}): Promise<ImageInfo> {
  const formatArgs = format === undefined ? [] : ['-f', format];
  return JSON.parse(await qemuImg(['info', '--output=json', '-U', ...formatArgs, path], failure, options)) as ImageInfo;
}

/** The qemu name of a Glance disk format; refuses one qemu-img does not convert from. */
export function qemuFormat(diskFormat: string, failure: string): string {
  const format = QEMU_FORMATS.get(diskFormat);
  if (format === undefined) {
    throw new Error(`${failure}: its disk format ${diskFormat} is not one of ${[...QEMU_FORMATS.keys()].join(', ')}`);
  }
  return format;
}

/**
 * Refuses image data (a file at `path`, said to be `diskFormat`) that qemu-img must not convert:
 * data in another format than declared (a later probe would read it as what it is), data that
 * names other files on the host (a backing file, a qcow2 data file, vmdk extents), or more than a
 * volume of `sizeGb` holds.
 */
export async function checkImageData(path: string, diskFormat: string, sizeGb: number, failure: string): Promise<void> {
  const format = qemuFormat(diskFormat, failure);
  // One after the other: a caller may run qemu-img one at a time.
  const declared = await imageInfo(path, format, `${failure}: its data is not ${diskFormat}`, { untrusted: true });
  const probed = await imageInfo(path, undefined, `${failure}: its data is unreadable`, { untrusted: true });
  if (probed.format !== format) {
    throw new Error(`${failure}: its data is ${probed.format}, but the image says ${diskFormat}`);
  }
  const details = declared['format-specific']?.data;
  const extents = (details?.extents ?? []).map(({ filename }) => filename).filter((file) => file !== path);
  const others = [declared['backing-filename'], details?.['data-file'], ...extents].filter((file) => file !== undefined);
  if (others.length > 0) {
    throw new Error(`${failure}: it refers to other files (${others.join(', ')}), which is not allowed`);
  }
  if (declared['virtual-size'] > sizeGb * GIB) {
    throw new Error(`${failure}: it holds ${gib(declared['virtual-size'])} GiB, more than the volume's ${sizeGb} GiB`);
  }
}
