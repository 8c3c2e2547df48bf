import { type BlockDeviceSpec, type BootImage, type ConfigDriveSpec, type InstanceSpec } from '@overcast/compute/contracts';
import { type BlockDeviceMappingEntity, type FlavorEntity, type InstanceEntity, type InstanceFlavor } from '@overcast/compute/data-access';

/** The instance as its host's agent builds and runs it: sizes from its flavor, NICs from its ports, disks from its volumes. */
export function instanceSpec(instance: InstanceEntity, volumes: BlockDeviceMappingEntity[], extras: { image?: BootImage; configDrive?: ConfigDriveSpec } = {}): InstanceSpec {
  const blockDevices = volumes.flatMap((mapping): BlockDeviceSpec[] =>
    mapping.connectionInfo === null ? [] : [{ volumeId: mapping.volumeId, deviceName: mapping.deviceName, connectionInfo: mapping.connectionInfo, bootIndex: mapping.bootIndex ?? undefined }],
  );
  return {
    id: instance.id,
    name: instance.displayName,
    vcpus: instance.flavor.vcpus,
    memoryMb: instance.flavor.memoryMb,
    rootGb: instance.flavor.rootGb,
    ephemeralGb: instance.flavor.ephemeralGb,
    swapMb: instance.flavor.swapMb,
    image: extras.image,
    vifs: instance.ports.map((port) => ({ portId: port.portId, networkId: port.networkId, macAddress: port.macAddress, vifType: port.vifType, devName: port.devName, mtu: port.mtu })),
    blockDevices,
    configDrive: extras.configDrive,
  };
}

/** The copy of a flavor an instance keeps (a later change to the flavor does not touch it). */
export function instanceFlavor(flavor: FlavorEntity): InstanceFlavor {
  return { id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, memoryMb: flavor.memoryMb, rootGb: flavor.rootGb, ephemeralGb: flavor.ephemeralGb, swapMb: flavor.swapMb, extraSpecs: flavor.extraSpecs };
}

/** An instance in ERROR with Nova's fault (shown on the server) saying why. */
export function errorState(message: string): Pick<InstanceEntity, 'vmState' | 'fault'> {
  return { vmState: 'error', fault: { code: 500, message, created: `${new Date().toISOString().slice(0, 19)}Z` } };
}
