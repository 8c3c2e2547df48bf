import { type BackendEntity } from '@overcast/block-storage/data-access';
import { type View } from '../common/cinder-list';
import { BackendsService } from '../scheduler/backends.service';

export const SCHEDULER_BINARY = 'cinder-scheduler';
export const VOLUME_BINARY = 'cinder-volume';

/** The zone Cinder's non-volume services report (`storage_availability_zone`'s default). */
const SCHEDULER_ZONE = 'nova';

/** Cinder's `host@backend` of a backend's volume service. */
export const serviceHost = (backend: BackendEntity) => `${backend.host}@${backend.name}`;

/**
 * Cinder's host filter (`_filter_host`): `host#pool` matches exactly, `host@backend` also its
 * pools, a bare host also its backends and pools.
 */
export function hostMatches(host: string, wanted: string): boolean {
  if (host === wanted) {
    return true;
  }
  if (wanted.includes('#')) {
    return false;
  }
  return host.startsWith(`${wanted}#`) || (!wanted.includes('@') && host.startsWith(`${wanted}@`));
}

/** The scheduler runs in this process: up and enabled as long as it answers. */
export function schedulerServiceView(host: string, now: Date): View {
  return { binary: SCHEDULER_BINARY, host, zone: SCHEDULER_ZONE, status: 'enabled', state: 'up', updated_at: now.toISOString(), disabled_reason: null };
}

/** A backend as Cinder's `cinder-volume` service of it (with the extended-services fields). */
export function backendServiceView(backend: BackendEntity, up: boolean): View {
  return {
    binary: VOLUME_BINARY,
    host: serviceHost(backend),
    zone: backend.availabilityZone,
    status: backend.disabled ? 'disabled' : 'enabled',
    state: up ? 'up' : 'down',
    updated_at: backend.reportedAt.toISOString(),
    disabled_reason: backend.disabledReason,
    replication_status: 'disabled',
    active_backend_id: null,
    frozen: false,
  };
}

/** Overcast's volume drivers carry no version of their own. */
const DRIVER_VERSION = '1.0.0';

/**
 * A backend's one pool as the scheduler reports it (`/scheduler-stats/get_pools`): its name, and
 * with `detail` the capabilities Cinder's drivers report plus what the scheduler adds (allocated
 * capacity, the report's time).
 */
export function poolView(backend: BackendEntity, detail: boolean): View {
  const name = BackendsService.poolName(backend);
  if (!detail) {
    return { name };
  }
  return {
    name,
    capabilities: {
      pool_name: backend.volumeBackendName,
      volume_backend_name: backend.volumeBackendName,
      vendor_name: 'Overcast',
      driver_version: DRIVER_VERSION,
      storage_protocol: backend.storageProtocol,
      total_capacity_gb: backend.totalCapacityGb,
      free_capacity_gb: backend.freeCapacityGb,
      allocated_capacity_gb: backend.allocatedCapacityGb,
      provisioned_capacity_gb: backend.provisionedCapacityGb,
      reserved_percentage: backend.reservedPercentage,
      max_over_subscription_ratio: backend.maxOverSubscriptionRatio,
      thin_provisioning_support: backend.thinProvisioning,
      thick_provisioning_support: !backend.thinProvisioning,
      multiattach: backend.capabilities.multiattach,
      QoS_support: false,
      timestamp: backend.reportedAt.toISOString(),
    },
  };
}
