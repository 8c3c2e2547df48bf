import { type ConnectionInfo } from '@overcast/block-storage/contracts';

/** Shapes both sides of the compute agent's protocol share with the hypervisor drivers. */

/** Nova's power states (nova/compute/power_state.py), as `OS-EXT-STS:power_state` shows them. */
export const POWER_STATE = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;
export type PowerState = (typeof POWER_STATE)[keyof typeof POWER_STATE];

/** An image the agent fetches from the image service (with the requester's token) into its cache. */
export interface ImageSource {
  id: string;
  /** Glance's `disk_format`: `qcow2`, `raw`, `aki` (a kernel), `ari` (a ramdisk)… */
  diskFormat: string;
  size: number;
  /** The image service's `…/v2/images/<id>/file`. */
  fileUrl: string;
}

/** The root disk's image, with the kernel and ramdisk of an image booted AMI-style (`kernel_id`/`ramdisk_id`). */
export interface BootImage extends ImageSource {
  kernel?: ImageSource;
  ramdisk?: ImageSource;
  /** The image's `os_command_line`, for a direct kernel boot. */
  kernelArgs?: string;
  /** The image's properties, e.g. `hw_disk_bus`, passed through. */
  properties: Record<string, string>;
}

/** A port the network service bound to this host; its agent has made the device, `devName`. */
export interface VifSpec {
  portId: string;
  networkId: string;
  macAddress: string;
  /** `binding:vif_type`: `bridge` (Linux bridge) or `ovs`. */
  vifType: string;
  /** The tap the network agent made for it: `tap` and the port id's first eleven characters. */
  devName: string;
  mtu?: number;
}

/** A volume on the instance: its block-storage connection info and where the guest sees it. */
export interface BlockDeviceSpec {
  volumeId: string;
  /** The guest's device, `vdb`, `vdc`… (`vda` when the instance boots from it). */
  deviceName: string;
  connectionInfo: ConnectionInfo;
  /** 0 for the volume an instance boots from. */
  bootIndex?: number;
}

/** What a config drive holds for cloud-init (Nova's `openstack/latest/…`). */
export interface ConfigDriveSpec {
  /** `meta_data.json`: uuid, name, hostname, public_keys, meta, availability_zone… */
  metaData: Record<string, unknown>;
  /** `network_data.json`: links, networks, services. */
  networkData: Record<string, unknown>;
  /** `user_data`, base64 as the API took it. */
  userData?: string;
}

/** An instance as a hypervisor builds it: the flavor's sizes, its disks, NICs and config drive. */
export interface InstanceSpec {
  id: string;
  /** The server's display name. */
  name: string;
  vcpus: number;
  memoryMb: number;
  /** The root disk (an overlay on the image) in GiB; 0 means the image's own virtual size. */
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  /** Absent when the instance boots from a volume. */
  image?: BootImage;
  vifs: VifSpec[];
  blockDevices: BlockDeviceSpec[];
  configDrive?: ConfigDriveSpec;
}

/** What a hypervisor says of an instance it holds. */
export interface InstanceInfo {
  id: string;
  powerState: PowerState;
}

/** What the scheduler places instances by, and `os-hypervisors` shows. */
export interface HostInventory {
  /** `QEMU` for libvirt (KVM or TCG), `fake` for the fake driver. */
  hypervisorType: string;
  /** Nova's integer form: 7002000 for 7.2.0. */
  hypervisorVersion: number;
  hypervisorHostname: string;
  /** The guest acceleration in use (`kvm`, `qemu` for TCG emulation, `fake`) and why it was chosen. */
  virtType: string;
  virtTypeReason: string;
  cpuArch: string;
  cpuInfo: Record<string, unknown>;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  /** The host's address, as `os-hypervisors` shows it (`host_ip`). */
  hostIp: string;
}
