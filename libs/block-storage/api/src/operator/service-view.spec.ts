import { type BackendEntity } from '@overcast/block-storage/data-access';
import { backendServiceView, hostMatches, poolView, schedulerServiceView } from './service-view';

const backend = {
  id: 'b1',
  host: 'node1',
  name: 'file',
  volumeBackendName: 'local',
  availabilityZone: 'az1',
  driver: 'file',
  storageProtocol: 'file',
  capabilities: { cloneImages: false, multiattach: true, extendInUse: false },
  totalCapacityGb: 100,
  freeCapacityGb: 60,
  provisionedCapacityGb: 40,
  thinProvisioning: true,
  maxOverSubscriptionRatio: 20,
  reservedPercentage: 5,
  allocatedCapacityGb: 30,
  problem: null,
  disabled: true,
  disabledReason: 'maintenance',
  reportedAt: new Date('2025-01-02T03:04:05.000Z'),
  agentStartedAt: null,
  busVersion: '1.1',
} satisfies BackendEntity;

describe('hostMatches', () => {
  it("matches as Cinder's host filter: a bare host its backends and pools, a backend its pools, a pool only itself", () => {
    expect(hostMatches('node1@file', 'node1')).toBe(true);
    expect(hostMatches('node1@file', 'node1@file')).toBe(true);
    expect(hostMatches('node1@file#local', 'node1@file')).toBe(true);
    expect(hostMatches('node1@file#local', 'node1#local')).toBe(false);
    expect(hostMatches('node10@file', 'node1')).toBe(false);
    expect(hostMatches('node1@filer', 'node1@file')).toBe(false);
  });
});

describe('service views', () => {
  it("shows a backend as Cinder's cinder-volume service, with the extended attributes", () => {
    expect(backendServiceView(backend, false)).toEqual({
      binary: 'cinder-volume',
      host: 'node1@file',
      zone: 'az1',
      status: 'disabled',
      state: 'down',
      updated_at: '2025-01-02T03:04:05.000Z',
      disabled_reason: 'maintenance',
      replication_status: 'disabled',
      active_backend_id: null,
      frozen: false,
    });
  });

  it('shows the scheduler of this process as always up', () => {
    expect(schedulerServiceView('api-host', new Date(0))).toMatchObject({ binary: 'cinder-scheduler', host: 'api-host', state: 'up', status: 'enabled', zone: 'nova' });
  });
});

describe('poolView', () => {
  it('names the pool host@backend#pool, with the capabilities only in detail', () => {
    expect(poolView(backend, false)).toEqual({ name: 'node1@file#local' });
    expect(poolView(backend, true)).toEqual({
      name: 'node1@file#local',
      capabilities: {
        pool_name: 'local',
        volume_backend_name: 'local',
        vendor_name: 'Overcast',
        driver_version: '1.0.0',
        storage_protocol: 'file',
        total_capacity_gb: 100,
        free_capacity_gb: 60,
        allocated_capacity_gb: 30,
        provisioned_capacity_gb: 40,
        reserved_percentage: 5,
        max_over_subscription_ratio: 20,
        thin_provisioning_support: true,
        thick_provisioning_support: false,
        multiattach: true,
        QoS_support: false,
        timestamp: '2025-01-02T03:04:05.000Z',
      },
    });
  });
});
