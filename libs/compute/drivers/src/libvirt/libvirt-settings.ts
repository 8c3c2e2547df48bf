import { setting } from '@overcast/shared/core';
import { z } from 'zod';

/** The libvirt driver's settings (section `compute-agent.libvirt`, env `OVERCAST_COMPUTE_AGENT_LIBVIRT_*`). */
export const libvirtSettings = z.object({
  /** libvirt's connection URI. */
  uri: setting.string().default('qemu:///system'),
  /** Where instance disks, console logs and the image cache live. */
  instancesPath: setting.string().default('/var/lib/libvirt/images/overcast'),
});
export type LibvirtSettings = z.infer<typeof libvirtSettings>;
