import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type DhcpSpec } from '@overcast/network/contracts';
import { fixedIpCidrs, syncAddresses } from '../host/addresses';
import { type HostCommands } from '../host/host-commands';
import { deviceName } from '../host/links';
import { type LegOutcome, removeNamespaceWithLegs, unplugOtherLegs } from '../host/namespace-legs';
import { type NamespacePlugger } from '../host/namespace-plugger';
import { ensureNamespace, listNamespaces } from '../host/namespaces';
import { readPidFile, runningCommandLine, signalProcess, stopProcess } from '../host/processes';
import { dnsmasqArguments, type DnsmasqFiles, dnsmasqFiles, renderHostsFile, renderOptsFile, servedSubnets } from './dnsmasq-config';

const LEG_PREFIXES = ['ns-'];

/**
 * The DHCP servers of a host, after Neutron's DHCP agent: per network a namespace
 * `qdhcp-<network id>` with a leg on the network (plugged by the L2 driver's NamespacePlugger) and
 * one dnsmasq in it that hands each port its fixed address.
 */
export class DhcpServers {
  private readonly logger = new Logger(DhcpServers.name);

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
        outcomes.push({ portId: spec.port.id, failure: `network ${spec.network.networkId} has no IPv4 subnet with DHCP enabled (IPv6 DHCP is not served)` });
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
    await syncAddresses(this.commands, namespace, leg, fixedIpCidrs(spec.port, spec.subnets));
    await this.runDnsmasq(spec, namespace, leg);
  }

  /** A port change rewrites the files and reloads them (SIGHUP keeps the leases); a changed command line restarts. */
  private async runDnsmasq(spec: DhcpSpec, namespace: string, leg: string): Promise<void> {
    const files = dnsmasqFiles(this.stateDirectory, spec.network.networkId);
    // dnsmasq drops to an unprivileged user and reads the files again on SIGHUP as that user.
    await mkdir(files.directory, { recursive: true, mode: 0o755 });
    const hostsChanged = await writeIfChanged(files.hostsFile, renderHostsFile(spec));
    const optsChanged = await writeIfChanged(files.optsFile, renderOptsFile(spec));
    const args = dnsmasqArguments(spec, leg, files);
    const running = await runningDnsmasq(files);
    if (running !== undefined && sameArguments(running.args, args)) {
      if (hostsChanged || optsChanged) {
        signalProcess(running.pid, 'SIGHUP');
      }
      return;
    }
    if (running !== undefined) {
      await stopProcess(running.pid);
    }
    for (const subnet of spec.subnets.filter((candidate) => candidate.enableDhcp && candidate.ipVersion === 6)) {
      this.logger.warn(`not serving DHCPv6 for subnet ${subnet.id} of network ${spec.network.networkId}: only IPv4 DHCP is served`);
    }
    await this.commands.runIn(namespace, 'dnsmasq', args);
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
      const running = await runningDnsmasq(files);
      if (running !== undefined) {
        await stopProcess(running.pid);
      }
      await removeNamespaceWithLegs(this.commands, this.plugger, this.namespaceOf(networkId), LEG_PREFIXES);
      await rm(files.directory, { recursive: true, force: true });
    }
  }
}

/** The dnsmasq serving these files, if it runs (the PID checked against its command line, as PIDs are reused). */
async function runningDnsmasq(files: DnsmasqFiles): Promise<{ pid: number; args: string[] } | undefined> {
  const pid = await readPidFile(files.pidFile);
  const commandLine = pid === undefined ? undefined : await runningCommandLine(pid);
  if (pid === undefined || commandLine === undefined || !commandLine.includes(`--pid-file=${files.pidFile}`)) {
    return undefined;
  }
  return { pid, args: commandLine.slice(1) };
}

function sameArguments(running: readonly string[], wanted: readonly string[]): boolean {
  return running.length === wanted.length && running.every((arg, index) => arg === wanted[index]);
}

/** Writes `content` unless the file holds it already; says whether it wrote. */
async function writeIfChanged(path: string, content: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) {
    return false;
  }
  await writeFile(path, content, { mode: 0o644 });
  return true;
}
