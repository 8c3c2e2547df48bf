import { cpus, totalmem } from 'node:os';
import { type Virsh } from './virsh';

/** Nova's integer form of a version: 7.2.22 → 7002022. */
export function novaVersion(version: string): number {
  const [major = 0, minor = 0, micro = 0] = version.split('.').map(Number);
  return major * 1_000_000 + minor * 1_000 + micro;
}

/** The host CPU as Nova's `cpu_info` shows it (arch, model, vendor, topology, features), from libvirt's capabilities. */
export function cpuInfoFromCapabilities(capabilities: string): { arch: string; model: string; vendor: string; topology: Record<string, number>; features: string[] } {
  const cpu = /<host>[\s\S]*?<cpu>([\s\S]*?)<\/cpu>/.exec(capabilities)?.[1] ?? '';
  const topology = /<topology\s+([^>]*)\/>/.exec(cpu)?.[1] ?? '';
  const count = (name: string) => Number(new RegExp(`${name}='(\\d+)'`).exec(topology)?.[1] ?? 1);
  return {
    arch: /<arch>([^<]+)<\/arch>/.exec(cpu)?.[1] ?? process.arch,
    model: /<model>([^<]+)<\/model>/.exec(cpu)?.[1] ?? 'unknown',
    vendor: /<vendor>([^<]+)<\/vendor>/.exec(cpu)?.[1] ?? 'unknown',
    topology: { cells: (capabilities.match(/<cell id=/g) ?? []).length || 1, sockets: count('sockets'), cores: count('cores'), threads: count('threads') },
    features: [...cpu.matchAll(/<feature name='([^']+)'\/>/g)].map((match) => match[1] as string).sort(),
  };
}

/** What the host offers, read once at start: its CPU (from libvirt) and QEMU's version. */
export interface HostFacts {
  hypervisorVersion: number;
  cpuArch: string;
  cpuInfo: ReturnType<typeof cpuInfoFromCapabilities>;
  vcpus: number;
  memoryMb: number;
}

export async function readHostFacts(virsh: Virsh): Promise<HostFacts> {
  const { hypervisor } = await virsh.version();
  const cpuInfo = cpuInfoFromCapabilities(await virsh.run(['capabilities'], 'could not read the host capabilities from libvirt'));
  return { hypervisorVersion: novaVersion(hypervisor), cpuArch: cpuInfo.arch, cpuInfo, vcpus: cpus().length, memoryMb: Math.floor(totalmem() / 1024 ** 2) };
}
