import { setting } from '@overcast/shared/core';
import { z } from 'zod';

/** The libvirt driver's settings (section `compute-agent.libvirt`, env `OVERCAST_COMPUTE_AGENT_LIBVIRT_*`). */
export const libvirtSettings = z.object({
  /** libvirt's connection URI. */
  uri: setting.string().default('qemu:///system'),
  /** Where instance disks, console logs and the image cache live. */
  instancesPath: setting.string().default('/var/lib/libvirt/images/overcast'),
  /**
   * The guest acceleration: `kvm`, `qemu` (TCG emulation), or `auto`, which boots a kernel under
   * KVM for a moment and uses KVM only if the guest got going (an openable /dev/kvm proves nothing).
   */
  virtType: z.enum(['auto', 'kvm', 'qemu']).default('auto'),
  /** The kernel the KVM probe boots; the newest /boot/vmlinuz-* when unset. */
  kvmProbeKernel: setting.string().optional(),
  /** How long the KVM probe's kernel has to print its banner. */
  kvmProbeSeconds: setting.integer().min(1).default(3),
  /** The host's address, as `os-hypervisors` shows it. */
  hostIp: setting.string().default('127.0.0.1'),
  /** How long a guest has to shut down by ACPI (power off, soft reboot) before it is stopped hard. */
  shutdownTimeoutSeconds: setting.integer().min(0).default(60),
  /** How long spawn waits for the network agent's tap devices to appear. */
  tapWaitSeconds: setting.integer().min(0).default(60),
  /** A cached base image no instance uses is removed once unused for this long (Nova's remove_unused_original_minimum_age_seconds). */
  imageCacheMaxAgeSeconds: setting.integer().min(0).default(86_400),
  /** How often the image cache cleaner runs (Nova's image_cache.manager_interval). */
  imageCacheIntervalSeconds: setting.integer().min(1).default(2400),
  /**
   * The libvirt secret (type `ceph`) holding the cephx key that rbd volumes are opened with when
   * their connection info names no `secret_uuid` (Nova's `rbd_secret_uuid`; our rbd volume driver
   * never names one). The operator defines it on every compute host: `virsh secret-define`, then
   * `virsh secret-set-value` with the Ceph user's key.
   */
  rbdSecretUuid: setting.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a uuid').optional(),
  /** The Ceph user whose key that secret holds (Nova's `rbd_user`); the connection info's `auth_username` when unset. */
  rbdUser: setting.string().optional(),
  /**
   * Who qemu says it is to an NFS server (AUTH_SYS, libvirt's `<identity>`): a user and group
   * name or `+<number>` of this host. The file volume driver's volumes are root's with mode 0660,
   * so root by default, which the export must not squash (Nova, which mounts the export as root,
   * needs the same).
   */
  nfsUser: setting.string().default('root'),
  nfsGroup: setting.string().default('root'),
});
export type LibvirtSettings = z.infer<typeof libvirtSettings>;
