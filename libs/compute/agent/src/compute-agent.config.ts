import { libvirtSettings } from '@overcast/compute/drivers';
import { setting } from '@overcast/shared/core';
import { z } from 'zod';

const DRIVERS = ['libvirt', 'fake'] as const;

/** The fake hypervisor's pretend host (section `compute-agent.fake`). */
const fakeSettings = z.object({
  vcpus: setting.integer().min(1).default(8),
  memoryMb: setting.integer().min(1).default(16384),
  localGb: setting.integer().min(1).default(200),
  /** Every build fails with this message: a broken host, for trying the scheduler's retries. */
  spawnFailure: setting.string().optional(),
  /** How long a build takes (a real guest's takes seconds): for tests that interrupt one. */
  spawnSeconds: setting.integer().min(0).default(0),
});

/**
 * Section `compute-agent`, env `OVERCAST_COMPUTE_AGENT_*`: this compute node's hypervisor (Nova's
 * `compute_driver`) and how the agent reports it. Availability zones are the compute service's
 * business, not the node's.
 */
export const computeAgentSettings = z.object({
  driver: z.enum(DRIVERS, { error: () => `must be one of ${DRIVERS.join(', ')}` }).default('libvirt'),
  libvirt: libvirtSettings.default(libvirtSettings.parse({})),
  fake: fakeSettings.default(fakeSettings.parse({})),
  /** This host's address (Nova's `my_ip`): in the connector block storage gets, and `host_ip` of `os-hypervisors`. */
  hostIp: setting.string().default('127.0.0.1'),
  /** How long a power-off lets the guest shut itself down before it is cut off (Nova's `shutdown_timeout`). */
  shutdownTimeoutSeconds: setting.integer().min(0).default(60),
  /** How often the agent reports inventory and power states (its heartbeat). */
  reportIntervalSeconds: setting.integer().min(1).default(10),
  /** How long stopping waits for the operations under way. */
  stopGraceSeconds: setting.integer().min(0).default(60),
});
export type ComputeAgentSettings = z.infer<typeof computeAgentSettings>;
