import { type ConfigDriveSpec } from '@overcast/compute/contracts';
import { type InstanceEntity } from '@overcast/compute/data-access';

/**
 * What an instance's config drive holds, as Nova writes `openstack/latest/`: its identity, keys and
 * metadata (`meta_data.json`), how its NICs get addresses (`network_data.json`: DHCP on each, as
 * the network service serves it), the user data, and the root password the server was created with.
 */
export function configDriveFor(instance: InstanceEntity, adminPass?: string): ConfigDriveSpec {
  const keys = instance.keyName !== null && instance.keyData !== null ? [{ name: instance.keyName, type: 'ssh', data: instance.keyData }] : [];
  return {
    metaData: {
      uuid: instance.id,
      name: instance.displayName,
      hostname: instance.hostname,
      launch_index: instance.launchIndex,
      availability_zone: instance.availabilityZone,
      project_id: instance.projectId,
      meta: instance.metadata,
      public_keys: Object.fromEntries(keys.map((key) => [key.name, key.data])),
      keys,
      devices: [],
      // Known only when the server is made or rebuilt: a drive made again elsewhere (a move) has none, as in Nova.
      ...(adminPass === undefined ? {} : { admin_pass: adminPass }),
    },
    networkData: {
      links: instance.ports.map((port) => ({ id: port.devName, vif_id: port.portId, type: 'phy', mtu: port.mtu ?? null, ethernet_mac_address: port.macAddress })),
      networks: instance.ports.map((port, index) => ({ id: `network${index}`, type: 'ipv4_dhcp', link: port.devName, network_id: port.networkId })),
      services: [],
    },
    userData: instance.userData ?? undefined,
  };
}
