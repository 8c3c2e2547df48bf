import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type DhcpSpec } from '@overcast/network/contracts';
import { fixedIpCidrs, syncAddresses } from '../host/addresses';
import { type HostCommands } from '../host/host-commands';
import { deviceName } from '../host/links';
import { type LegOutcome, removeNamespaceWithLegs, unplugOtherLegs } from '../host/namespace-legs';
import { type NamespacePlugger } from '../host/namespace-plugger';
import { ensureNamespace, listNamespaces } from '../host/namespaces';
import { runDaemon, stopDaemon } from '../host/processes';
import { dnsmasqArguments, dnsmasqFiles, renderHostsFile, renderOptsFile, servedSubnets } from './dnsmasq-config';

const LEG_PREFIXES = ['ns-'];

/**
 * The DHCP servers of a host, after Neutron's DHCP agent: per network a namespace
 * `qdhcp-<network id>` with a leg on the network (plugged by the L2 driver's NamespacePlugger) and
 * one dnsmasq in it that hands each port its fixed address (DHCP, DHCPv6-stateful) or options
 * only (DHCPv6-stateless).
 */
export class DhcpServers {
  constructor(
    private readonly commands: HostCommands,
    private readonly plugger: NamespacePlugger,
    private readonly stateDirectory: string,
  ) {}

  /** Serves exactly `specs`: starts, reloads or restarts what they describe and removes every other server of ours. */
  async apply(specs: readonly DhcpSpec[]): Promise<LegOutcome[]> {
    const servable = specs.filter((spec) => servedSubnets(spec).length > 0);
    await this.removeAllBut(new Set(servable.map((spec) => spec.network.networkId)));
    const outcomes: LegOutcome[] = [];
    for (const spec of specs) {
      if (!servable.includes(spec)) {
        outcomes.push({ portId: spec.port.id, failure: `network ${spec.network.networkId} has no subnet to serve: DHCP is off, or IPv6 addresses come by SLAAC alone` });
        continue;
      }
      try {
        await this.serve(spec);
        outcomes.push({ portId: spec.port.id });
      } catch (error) {
        outcomes.push({ portId: spec.port.id, failure: (error as Error).message });
      }
    }
    return outcomes;
  }

  async removeAll(): Promise<void> {
    await this.removeAllBut(new Set());
  }

  private namespaceOf(networkId: string): string {
    return this.commands.namespaceName(`qdhcp-${networkId}`);
  }

  private async serve(spec: DhcpSpec): Promise<void> {
    const namespace = this.namespaceOf(spec.network.networkId);
    const leg = deviceName('ns-', spec.port.id);
    await ensureNamespace(this.commands, namespace);
    await this.plugger.plug({ portId: spec.port.id, network: spec.network, namespace, deviceName: leg, macAddress: spec.port.macAddress });
    // A DHCP port replaced by another leaves its leg behind.
    await unplugOtherLegs(this.commands, this.plugger, namespace, LEG_PREFIXES, new Set([leg]));
    // The server's addresses are its fixed IPs: it takes none, and no default route, from the router's advertisements.
    await this.commands.runIn(namespace, 'sysctl', ['-q', '-w', `net.ipv6.conf.${leg}.accept_ra=0`]);
    await syncAddresses(this.commands, namespace, leg, fixedIpCidrs(spec.port, spec.subnets));
    await this.runDnsmasq(spec, namespace, leg);
  }

  /** A port change rewrites the files and reloads them (SIGHUP keeps the leases); a changed command line restarts. */
  private async runDnsmasq(spec: DhcpSpec, namespace: string, leg: string): Promise<void> {
    const files = dnsmasqFiles(this.stateDirectory, spec.network.networkId);
    // dnsmasq drops to an unprivileged user and reads the files again on SIGHUP as that user.
    await mkdir(files.directory, { recursive: true, mode: 0o755 });
    await runDaemon(this.commands, namespace, {
      command: 'dnsmasq',
      args: dnsmasqArguments(spec, leg, files),
      pidFile: files.pidFile,
      files: [
        { path: files.hostsFile, content: renderHostsFile(spec) },
        { path: files.optsFile, content: renderOptsFile(spec) },
      ],
    });
  }

  /** Stops and removes every server of ours but those of `keep`: found by namespace name and by state directory. */
  private async removeAllBut(keep: ReadonlySet<string>): Promise<void> {
    const prefix = this.namespaceOf('');
    const fromNamespaces = (await listNamespaces(this.commands, prefix)).map((name) => name.slice(prefix.length));
    const fromDirectories = await readdir(join(this.stateDirectory, 'dhcp')).catch(() => []);
    for (const networkId of new Set([...fromNamespaces, ...fromDirectories])) {
      if (keep.has(networkId)) {
        continue;
      }
      const files = dnsmasqFiles(this.stateDirectory, networkId);
      await stopDaemon(files.pidFile);
      if (fromNamespaces.includes(networkId)) {
        await removeNamespaceWithLegs(this.commands, this.plugger, this.namespaceOf(networkId), LEG_PREFIXES);
      }
      await rm(files.directory, { recursive: true, force: true });
    }
  }
}
