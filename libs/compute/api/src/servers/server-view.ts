import { type BlockDeviceMappingEntity, type InstanceEntity } from '@overcast/compute/data-access';
import { createHash } from 'node:crypto';
import { resourceLinks } from '../common/links';
import { type ApiVersion } from '../common/microversion';

/** The tasks of a resize or cold migration before the server waits for its confirmation. */
const isResizing = (taskState: string | null) => taskState === 'resize_prep' || taskState === 'resize_migrating' || taskState === 'resize_migrated' || taskState === 'resize_finish';

/** Nova's server status from vm_state and task_state (nova/api/openstack/common.py _STATE_MAP). */
export function serverStatus(instance: Pick<InstanceEntity, 'vmState' | 'taskState'>): string {
  const { vmState, taskState } = instance;
  switch (vmState) {
    case 'building':
      return 'BUILD';
    case 'active':
      if (taskState === 'rebooting' || taskState === 'reboot_pending' || taskState === 'reboot_started') {
        return 'REBOOT';
      }
      if (taskState === 'rebooting_hard' || taskState === 'reboot_pending_hard' || taskState === 'reboot_started_hard') {
        return 'HARD_REBOOT';
      }
      if (taskState === 'rebuilding' || taskState === 'rebuild_spawning') {
        return 'REBUILD';
      }
      return isResizing(taskState) ? 'RESIZE' : 'ACTIVE';
    case 'stopped':
      return isResizing(taskState) ? 'RESIZE' : 'SHUTOFF';
    case 'paused':
      return 'PAUSED';
    case 'suspended':
      return 'SUSPENDED';
    case 'resized':
      return taskState === 'resize_reverting' ? 'REVERT_RESIZE' : 'VERIFY_RESIZE';
    case 'error':
      return 'ERROR';
    case 'deleted':
      return 'DELETED';
    case 'soft-delete':
      return 'SOFT_DELETED';
    case 'rescued':
      return 'RESCUE';
    case 'shelved':
      return 'SHELVED';
  }
}

/** Nova's `hostId`: the host, hashed with the project so tenants can tell co-location without learning host names. */
export function hostId(instance: Pick<InstanceEntity, 'host' | 'projectId'>): string {
  return instance.host ? createHash('sha224').update(`${instance.projectId}${instance.host}`).digest('hex') : '';
}


export interface ServerViewOptions {
  /** `http://host:port` the request came to, for links. */
  baseUrl: string;
  /** Whether the caller may see where the server runs (`OS-EXT-SRV-ATTR:*`). */
  showHost: boolean;
  volumes: BlockDeviceMappingEntity[];
  version: ApiVersion;
}

/** A server's addresses by network name; `extended` adds each one's type and MAC (the `OS-EXT-IPS` extensions). */
export function serverAddresses(instance: Pick<InstanceEntity, 'ports'>, extended: boolean): Record<string, Record<string, unknown>[]> {
  const addresses: Record<string, Record<string, unknown>[]> = {};
  for (const port of instance.ports) {
    addresses[port.networkName] = [
      ...(addresses[port.networkName] ?? []),
      ...port.fixedIps.map((fixedIp) => ({
        version: fixedIp.ipAddress.includes(':') ? 6 : 4,
        addr: fixedIp.ipAddress,
        ...(extended ? { 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.macAddress } : {}),
      })),
    ];
  }
  return addresses;
}

/**
 * A server as Nova answers `PUT /servers/{id}` (and a rebuild) before 2.75: without the extensions'
 * fields, and its addresses without their type and MAC; from 2.9 whether it is locked.
 */
export function serverBasicView(instance: InstanceEntity, baseUrl: string, version: ApiVersion, extendAddresses = false): Record<string, unknown> {
  const addresses = serverAddresses(instance, extendAddresses);
  const status = serverStatus(instance);
  const view: Record<string, unknown> = {
    id: instance.id,
    name: instance.displayName,
    status,
    tenant_id: instance.projectId,
    user_id: instance.userId,
    metadata: instance.metadata,
    hostId: hostId(instance),
    image: instance.imageRef === null ? '' : { id: instance.imageRef, links: [{ rel: 'bookmark', href: `${baseUrl}/images/${instance.imageRef}` }] },
    flavor: { id: instance.flavor.id, links: [{ rel: 'bookmark', href: `${baseUrl}/flavors/${instance.flavor.id}` }] },
    created: isoSeconds(instance.createdAt),
    updated: isoSeconds(instance.updatedAt),
    addresses,
    accessIPv4: instance.accessIpV4 ?? '',
    accessIPv6: instance.accessIpV6 ?? '',
    links: resourceLinks(baseUrl, 'servers', instance.id),
    'OS-DCF:diskConfig': 'MANUAL',
  };
  // Nova shows progress only while it means something.
  if (status === 'ACTIVE' || status === 'BUILD') {
    view['progress'] = status === 'ACTIVE' ? 100 : 0;
  }
  if (instance.vmState === 'error' && instance.fault) {
    view['fault'] = { code: instance.fault.code, message: instance.fault.message, created: instance.fault.created, ...(instance.fault.details ? { details: instance.fault.details } : {}) };
  }
  if (version.atLeast('2.9')) {
    view['locked'] = instance.locked;
  }
  return view;
}

/**
 * A server as Nova shows it in `GET /servers/{id}` and `/servers/detail`: with its extensions'
 * fields, which 2.3 extends (for the EC2 API's sake) with more of the instance's attributes.
 */
export function serverView(instance: InstanceEntity, options: ServerViewOptions): Record<string, unknown> {
  const { version } = options;
  const view: Record<string, unknown> = {
    ...serverBasicView(instance, options.baseUrl, version, true),
    'OS-EXT-AZ:availability_zone': instance.availabilityZone ?? '',
    config_drive: instance.configDrive ? 'True' : '',
    key_name: instance.keyName,
    'OS-SRV-USG:launched_at': instance.launchedAt ? instance.launchedAt.toISOString().replace('Z', '') : null,
    'OS-SRV-USG:terminated_at': instance.terminatedAt ? instance.terminatedAt.toISOString().replace('Z', '') : null,
    'OS-EXT-STS:task_state': instance.taskState,
    'OS-EXT-STS:vm_state': instance.vmState,
    'OS-EXT-STS:power_state': instance.powerState,
    'os-extended-volumes:volumes_attached': options.volumes.map((mapping) => ({
      id: mapping.volumeId,
      ...(version.atLeast('2.3') ? { delete_on_termination: mapping.deleteOnTermination } : {}),
    })),
    security_groups: instance.securityGroups.map((group) => ({ name: group })),
  };
  if (options.showHost) {
    view['OS-EXT-SRV-ATTR:host'] = instance.host;
    view['OS-EXT-SRV-ATTR:hypervisor_hostname'] = instance.host;
    view['OS-EXT-SRV-ATTR:instance_name'] = `instance-${instance.id}`;
    if (version.atLeast('2.3')) {
      Object.assign(view, {
        'OS-EXT-SRV-ATTR:reservation_id': instance.reservationId,
        'OS-EXT-SRV-ATTR:launch_index': instance.launchIndex,
        'OS-EXT-SRV-ATTR:hostname': instance.hostname,
        // Kernel and ramdisk images are not kept with the instance: '' is Nova's "none".
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        // The root disk is the first virtio disk once the server has a host to build it.
        'OS-EXT-SRV-ATTR:root_device_name': instance.host === null ? null : '/dev/vda',
        'OS-EXT-SRV-ATTR:user_data': instance.userData,
      });
    }
  }
  return view;
}

/** A server as `GET /servers` lists it: id, name and links. */
export function serverSummary(instance: InstanceEntity, baseUrl: string): Record<string, unknown> {
  return { id: instance.id, name: instance.displayName, links: resourceLinks(baseUrl, 'servers', instance.id) };
}

/** Nova's timestamps: ISO 8601 to the second, with `Z`. */
function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
