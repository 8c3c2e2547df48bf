import { type PortSpec, type SecurityGroupSpec } from '@overcast/network/contracts';
import { type HostCommands } from '../host/host-commands';
import { type IpVersion } from '../host/ip-addresses';
import { FORWARD_CHAIN, OWNED_PREFIX, remoteGroupSets, renderChainRemoval, renderFilterTable, renderIpsetRestore } from './iptables-rules';

/**
 * Debian's `iptables` (the nf_tables backend): it works inside a network namespace as well as
 * iptables-legacy does (drivers.md §5), it is the tables the host's own tools see, and
 * iptables-restore turns a whole file into one nf_tables transaction, so a rule change never opens
 * a window.
 */
const TOOLS: Record<IpVersion, { iptables: string; restore: string }> = {
  4: { iptables: 'iptables', restore: 'iptables-restore' },
  6: { iptables: 'ip6tables', restore: 'ip6tables-restore' },
};
const VERSIONS: readonly IpVersion[] = [4, 6];
const HOOK = ['-j', FORWARD_CHAIN];

/** Security groups and anti-spoofing for the ports on a host's Linux bridges (see iptables-rules.ts). */
export class IptablesFirewall {
  constructor(private readonly commands: HostCommands) {}

  /** Bridged traffic goes through iptables only with these on (br_netfilter). */
  async start(): Promise<void> {
    await this.commands.run('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
  }

  /** Makes our chains and sets hold exactly the rules of `ports` (the instance ports wired on the host). */
  async apply(ports: readonly PortSpec[], groups: readonly SecurityGroupSpec[]): Promise<void> {
    const sets = remoteGroupSets(ports, groups);
    // Sets first: the rules about to be loaded match against them.
    if (sets.length > 0) {
      await this.commands.run('ipset', ['restore'], { input: renderIpsetRestore(sets) });
    }
    for (const version of VERSIONS) {
      const existingChains = await this.ownedChains(version);
      await this.commands.run(TOOLS[version].restore, ['--noflush'], { input: renderFilterTable({ ports, groups, version, existingChains }) });
      await this.ensureHook(version);
    }
    const wanted = new Set(sets.map(({ name }) => name));
    await this.destroySets((await this.ownedSets()).filter((name) => !wanted.has(name)));
  }

  /** Removes the hook, every chain and every set of ours. */
  async removeAll(): Promise<void> {
    for (const version of VERSIONS) {
      if (await this.hasHook(version)) {
        await this.commands.run(TOOLS[version].iptables, ['-D', 'FORWARD', ...HOOK]);
      }
      const chains = await this.ownedChains(version);
      if (chains.length > 0) {
        await this.commands.run(TOOLS[version].restore, ['--noflush'], { input: renderChainRemoval(chains) });
      }
    }
    await this.destroySets(await this.ownedSets());
  }

  private async ensureHook(version: IpVersion): Promise<void> {
    if (!(await this.hasHook(version))) {
      // First in FORWARD, ahead of whatever else the host filters there.
      await this.commands.run(TOOLS[version].iptables, ['-I', 'FORWARD', '1', ...HOOK]);
    }
  }

  private async hasHook(version: IpVersion): Promise<boolean> {
    const rules = await this.commands.run(TOOLS[version].iptables, ['-S', 'FORWARD']);
    return rules.split('\n').includes(`-A FORWARD ${HOOK.join(' ')}`);
  }

  private async ownedChains(version: IpVersion): Promise<string[]> {
    const rules = await this.commands.run(TOOLS[version].iptables, ['-S']);
    return rules
      .split('\n')
      .filter((line) => line.startsWith(`-N ${OWNED_PREFIX}-`))
      .map((line) => line.slice('-N '.length));
  }

  private async ownedSets(): Promise<string[]> {
    const names = await this.commands.run('ipset', ['list', '-n']);
    return names.split('\n').filter((name) => name.startsWith(OWNED_PREFIX));
  }

  private async destroySets(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.commands.run('ipset', ['destroy', name]);
    }
  }
}
