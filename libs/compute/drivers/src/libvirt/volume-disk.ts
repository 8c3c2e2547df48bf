import { type BlockDeviceSpec } from '@overcast/compute/contracts';
import { type DomainDisk } from './domain-xml';
import { type LibvirtSettings } from './libvirt-settings';

/** What the compute host's settings add to a volume's connection info. */
export type VolumeHostSettings = Pick<LibvirtSettings, 'rbdSecretUuid' | 'rbdUser' | 'nfsUser' | 'nfsGroup'>;

/** The connection types this driver attaches (`driver_volume_type`). */
export const VOLUME_TYPES = ['local', 'nfs', 'rbd'] as const;

function field(data: Record<string, unknown>, key: string, failure: string): string {
  const value = data[key];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${failure}: its connection info has no ${key}`);
  }
  return value;
}

/** virtio-blk shows a serial of at most 20 characters: a volume's id, cut as Nova cuts it. */
function serialOf(volumeId: string): string {
  return volumeId.slice(0, 20);
}

/**
 * cephx for an rbd volume whose connection info turns auth on, as Nova's libvirt driver does it
 * (`_set_auth_config_rbd`): the connection info's user and secret when it names a secret
 * (Cinder's `rbd_secret_uuid`); otherwise this host's `rbdSecretUuid` with its `rbdUser`.
 */
function rbdAuth(data: Record<string, unknown>, host: VolumeHostSettings, failure: string): NonNullable<Extract<DomainDisk, { type: 'network' }>['auth']> {
  const secretType = typeof data['secret_type'] === 'string' ? data['secret_type'] : 'ceph';
  if (typeof data['secret_uuid'] === 'string' && data['secret_uuid'] !== '') {
    return { username: field(data, 'auth_username', failure), secretType, secretUuid: data['secret_uuid'] };
  }
  if (host.rbdSecretUuid === undefined) {
    throw new Error(
      `${failure}: its Ceph cluster requires cephx, and neither its connection info nor this compute host (setting libvirt.rbdSecretUuid) names the libvirt secret that holds the key`,
    );
  }
  return { username: host.rbdUser ?? field(data, 'auth_username', failure), secretType, secretUuid: host.rbdSecretUuid };
}

/**
 * The disk a volume's connection info (as the block-storage drivers return it) becomes:
 * - `local` `{device_path, format}`: a file on this host (os-brick's LocalConnector);
 * - `nfs` `{export: 'server:/path', name, format}`: qemu's own NFS client (libnfs) opens
 *   `server:/path/name` as the host's `nfsUser`/`nfsGroup`, so the compute host needs no kernel
 *   mount (Nova would mount the export);
 * - `rbd` `{name: 'pool/volume-…', hosts, ports, auth_enabled, auth_username, secret_type, secret_uuid}`:
 *   librbd in qemu, with cephx through a libvirt secret when auth is on (see rbdAuth).
 */
export function volumeDisk(device: BlockDeviceSpec, host: VolumeHostSettings, target = device.deviceName): DomainDisk {
  const { driver_volume_type: type, data } = device.connectionInfo;
  const failure = `cannot attach volume ${device.volumeId}`;
  const serial = serialOf(device.volumeId);
  switch (type) {
    case 'local':
      return { type: 'file', path: field(data, 'device_path', failure), format: field(data, 'format', failure), target, serial };
    case 'nfs': {
      const [server, path] = field(data, 'export', failure).split(/:(.*)/);
      if (!server || !path?.startsWith('/')) {
        throw new Error(`${failure}: its NFS export ${String(data['export'])} is not 'server:/path'`);
      }
      const name = `${path.replace(/\/+$/, '')}/${field(data, 'name', failure)}`;
      const identity = { user: host.nfsUser, group: host.nfsGroup };
      return { type: 'network', protocol: 'nfs', name, hosts: [{ name: server }], identity, format: field(data, 'format', failure), target, serial };
    }
    case 'rbd': {
      const hosts = Array.isArray(data['hosts']) ? (data['hosts'] as unknown[]).map(String) : [];
      const ports = Array.isArray(data['ports']) ? (data['ports'] as unknown[]).map(String) : [];
      const auth = data['auth_enabled'] === true ? rbdAuth(data, host, failure) : undefined;
      return {
        type: 'network',
        protocol: 'rbd',
        name: field(data, 'name', failure),
        hosts: hosts.map((name, index) => ({ name, port: ports[index] })),
        // RBD images hold raw data: Cinder's RBD volumes are always raw.
        format: 'raw',
        target,
        serial,
        auth,
      };
    }
    default:
      throw new Error(`${failure}: its connection type ${type} is not one of ${VOLUME_TYPES.join(', ')}`);
  }
}
