import { type ComputeNodeEntity } from '@overcast/compute/data-access';
import { type NodeLoad } from './compute-nodes.repository';

/** A host as the hypervisor views see it: its row, whether its agent is alive, and what its instances take. */
export interface Hypervisor {
  node: ComputeNodeEntity;
  up: boolean;
  load: NodeLoad;
}

/** Nova's hypervisor summary (`GET /os-hypervisors`, search, servers). */
export function hypervisorSummary({ node, up }: Hypervisor): Record<string, unknown> {
  return {
    id: node.id,
    hypervisor_hostname: node.inventory?.hypervisorHostname ?? node.host,
    state: up ? 'up' : 'down',
    status: node.disabled ? 'disabled' : 'enabled',
  };
}

/** The sizes and use a detail shows and statistics add up; hosts whose hypervisor could not report count as empty. */
function capacity({ node, load }: Hypervisor) {
  const inventory = node.inventory;
  const memoryMb = inventory?.memoryMb ?? 0;
  const localGb = inventory?.localGb ?? 0;
  return {
    vcpus: inventory?.vcpus ?? 0,
    memory_mb: memoryMb,
    local_gb: localGb,
    // Used is what placement's allocations hold; no memory or disk is reserved for the host (Nova's reserved_host_memory_mb).
    vcpus_used: load.vcpus,
    memory_mb_used: load.memoryMb,
    local_gb_used: load.diskGb,
    free_ram_mb: memoryMb - load.memoryMb,
    free_disk_gb: localGb - load.diskGb,
    current_workload: load.busy,
    running_vms: load.runningVms,
    // What the hypervisor itself finds free, as libvirt's disk_available_least is.
    disk_available_least: inventory === null ? null : inventory.localGb - inventory.localGbUsed,
  };
}

/**
 * Nova's hypervisor detail at 2.1. `cpu_info` is a JSON string there; besides the CPU it says
 * how guests run (`virt_type`: kvm, or qemu for TCG emulation, and `virt_type_reason`), or
 * why the hypervisor is unusable (`problem`).
 */
export function hypervisorDetail(hypervisor: Hypervisor): Record<string, unknown> {
  const { node } = hypervisor;
  const inventory = node.inventory;
  const cpuInfo = inventory === null ? { problem: node.problem } : { ...inventory.cpuInfo, virt_type: inventory.virtType, virt_type_reason: inventory.virtTypeReason };
  return {
    ...hypervisorSummary(hypervisor),
    hypervisor_type: inventory?.hypervisorType ?? 'unknown',
    hypervisor_version: inventory?.hypervisorVersion ?? 0,
    host_ip: inventory?.hostIp ?? null,
    service: { host: node.host, id: node.id, disabled_reason: node.disabledReason },
    ...capacity(hypervisor),
    cpu_info: JSON.stringify(cpuInfo),
  };
}

const STATISTICS_FIELDS: (keyof ReturnType<typeof capacity>)[] = [
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'free_ram_mb',
  'free_disk_gb',
  'current_workload',
  'running_vms',
  'disk_available_least',
];

/** `GET /os-hypervisors/statistics`: the enabled hosts' sizes and use, added up, as Nova's compute_node_statistics. */
export function hypervisorStatistics(hypervisors: Hypervisor[]): Record<string, number> {
  const capacities = hypervisors.filter(({ node }) => !node.disabled).map(capacity);
  const totals: Record<string, number> = { count: capacities.length };
  for (const field of STATISTICS_FIELDS) {
    totals[field] = capacities.reduce((sum, each) => sum + (each[field] ?? 0), 0);
  }
  return totals;
}
