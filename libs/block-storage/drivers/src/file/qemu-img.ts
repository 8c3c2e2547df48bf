import { checkImageData as checkUntrustedImage, GIB } from '@overcast/shared/qemu';

// The rbd driver takes these from here.
export { GIB, qemuImg } from '@overcast/shared/qemu';

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
 * what `checkImageData` of @overcast/shared/qemu refuses, or more than a volume of `sizeGb` holds.
 */
export async function checkImageData(path: string, diskFormat: string, sizeGb: number, failure: string): Promise<void> {
  const size = await checkUntrustedImage(path, qemuFormat(diskFormat, failure), failure, diskFormat);
  if (size > sizeGb * GIB) {
    throw new Error(`${failure}: it holds ${gib(size)} GiB, more than the volume's ${sizeGb} GiB`);
  }
}
