import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type RouterInterfaceSpec, type RouterSpec } from '@overcast/network/contracts';
import { fixedIpCidrs, syncAddresses } from '../host/addresses';
import { type HostCommands } from '../host/host-commands';
import { canonicalDestination, canonicalIp } from '../host/ip-addresses';
import { deviceName, ip } from '../host/links';
import { type LegOutcome, removeNamespaceWithLegs, unplugOtherLegs } from '../host/namespace-legs';
import { type NamespacePlugger } from '../host/namespace-plugger';
import { ensureNamespace, listNamespaces } from '../host/namespaces';
import { runDaemon, stopDaemon } from '../host/processes';
import { radvdArguments, radvdFiles, renderRadvdConfig } from './radvd-config';
import { renderRouterNat } from './router-nat';

const LEG_PREFIXES = ['qr-', 'qg-'];

interface Route {
  destination: string;
  gateway: string;
}

interface Leg {
  spec: RouterInterfaceSpec;
  device: string;
  addresses: string[];
}

/**
 * The routers of a host, after Neutron's L3 agent: per router a namespace `qrouter-<router id>`
 * that forwards between its legs (`qr-…` on internal networks, `qg-…` on the gateway network,
 * plugged by the L2 driver's NamespacePlugger), with SNAT and floating IPs in its nat table, and a
 * radvd that sends router advertisements on the legs of IPv6 subnets with an RA mode.
 */
export class Routers {
  constructor(
    private readonly commands: HostCommands,
    private readonly plugger: NamespacePlugger,
    private readonly stateDirectory: string,
  ) {}

  /** Serves exactly the routers given (an admin-down router is not served) and removes every other router of ours. */
  async apply(routers: readonly RouterSpec[]): Promise<LegOutcome[]> {
    const served = routers.filter((router) => router.adminStateUp);
    await this.removeAllBut(new Set(served.map((router) => router.id)));
    const outcomes: LegOutcome[] = routers
      .filter((router) => !router.adminStateUp)
      .flatMap((router) => routerInterfaces(router).map(({ port }) => ({ portId: port.id, failure: `router ${router.id} is administratively down` })));
    for (const router of served) {
      outcomes.push(...(await this.serve(router)));
    }
    return outcomes;
  }

  async removeAll(): Promise<void> {
    await this.apply([]);
  }

  private namespaceOf(routerId: string): string {
    return this.commands.namespaceName(`qrouter-${routerId}`);
  }

  private async serve(router: RouterSpec): Promise<LegOutcome[]> {
    const namespace = this.namespaceOf(router.id);
    const gateway = router.gateway === undefined ? undefined : routerLeg('qg-', router.gateway, router.floatingIps.map(({ floatingIpAddress }) => `${floatingIpAddress}/32`));
    const internal = router.interfaces.map((spec) => routerLeg('qr-', spec, []));
    const legs = [...internal, ...(gateway === undefined ? [] : [gateway])];
    const failAll = (outcomes: LegOutcome[], error: unknown) => outcomes.map(({ portId, failure }) => ({ portId, failure: failure ?? (error as Error).message }));
    try {
      await ensureNamespace(this.commands, namespace);
      await this.commands.runIn(namespace, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
      await unplugOtherLegs(this.commands, this.plugger, namespace, LEG_PREFIXES, new Set(legs.map(({ device }) => device)));
    } catch (error) {
      return failAll(legs.map(({ spec }) => ({ portId: spec.port.id })), error);
    }
    const outcomes: LegOutcome[] = [];
    for (const leg of legs) {
      outcomes.push(await this.plugLeg(namespace, leg));
    }
    // Routes, NAT and advertisements need the legs' addresses; a router without them routes nothing right.
    try {
      await this.syncRoutes(namespace, wantedRoutes(router));
      await this.commands.runIn(namespace, 'iptables-restore', [], { input: renderRouterNat(router, gateway?.device) });
      await this.advertise(router.id, namespace, internal);
    } catch (error) {
      return failAll(outcomes, error);
    }
    return outcomes;
  }

  private async plugLeg(namespace: string, { spec, device, addresses }: Leg): Promise<LegOutcome> {
    try {
      await this.plugger.plug({ portId: spec.port.id, network: spec.network, namespace, deviceName: device, macAddress: spec.port.macAddress });
      await syncAddresses(this.commands, namespace, device, addresses);
      return { portId: spec.port.id };
    } catch (error) {
      return { portId: spec.port.id, failure: (error as Error).message };
    }
  }

  /** Runs radvd for the legs that advertise (reloaded when they change); stops it when none does. */
  private async advertise(routerId: string, namespace: string, legs: readonly Leg[]): Promise<void> {
    const config = renderRadvdConfig(legs);
    if (config === '') {
      await this.stopAdvertising(routerId);
      return;
    }
    const files = radvdFiles(this.stateDirectory, routerId);
    // radvd drops to its own user and reads the configuration again on SIGHUP as that user.
    await mkdir(files.directory, { recursive: true, mode: 0o755 });
    await runDaemon(this.commands, namespace, { command: 'radvd', args: radvdArguments(files), pidFile: files.pidFile, files: [{ path: files.configFile, content: config }] });
  }

  private async stopAdvertising(routerId: string): Promise<void> {
    const files = radvdFiles(this.stateDirectory, routerId);
    await stopDaemon(files.pidFile);
    await rm(files.directory, { recursive: true, force: true });
  }

  /** Removes every router of ours but those of `keep`: found by namespace name and by state directory. */
  private async removeAllBut(keep: ReadonlySet<string>): Promise<void> {
    const prefix = this.namespaceOf('');
    const fromNamespaces = (await listNamespaces(this.commands, prefix)).map((name) => name.slice(prefix.length));
    const fromDirectories = await readdir(join(this.stateDirectory, 'ra')).catch(() => []);
    for (const routerId of new Set([...fromNamespaces, ...fromDirectories])) {
      if (keep.has(routerId)) {
        continue;
      }
      // radvd first: a deleted namespace lives on while a process runs in it.
      await this.stopAdvertising(routerId);
      if (fromNamespaces.includes(routerId)) {
        await removeNamespaceWithLegs(this.commands, this.plugger, this.namespaceOf(routerId), LEG_PREFIXES);
      }
    }
  }

  /** Makes the namespace's routes through a gateway exactly `wanted` (on-link routes are the kernel's). */
  private async syncRoutes(namespace: string, wanted: readonly Route[]): Promise<void> {
    const key = ({ destination, gateway }: Route) => `${destination} via ${gateway}`;
    const wantedKeys = new Set(wanted.map(key));
    for (const family of ['-4', '-6']) {
      const present = JSON.parse(await ip(this.commands, namespace, [family, '-j', 'route', 'show'])) as { dst: string; gateway?: string }[];
      for (const { dst, gateway } of present) {
        if (gateway !== undefined && !wantedKeys.has(key({ destination: dst, gateway }))) {
          await ip(this.commands, namespace, [family, 'route', 'delete', dst, 'via', gateway]);
        }
      }
    }
    for (const { destination, gateway } of wanted) {
      await ip(this.commands, namespace, ['route', 'replace', destination, 'via', gateway]);
    }
  }
}

/** A router's legs: its interfaces, then its gateway. */
export function routerInterfaces(router: RouterSpec): RouterInterfaceSpec[] {
  return [...router.interfaces, ...(router.gateway === undefined ? [] : [router.gateway])];
}

/** A leg's device and addresses: the port's fixed IPs, and on the gateway the floating IPs too. */
function routerLeg(prefix: string, spec: RouterInterfaceSpec, extraAddresses: string[]): Leg {
  return { spec, device: deviceName(prefix, spec.port.id), addresses: [...fixedIpCidrs(spec.port, spec.subnets), ...extraAddresses] };
}

/** The default routes via the gateway subnets' gateway IPs, then the router's extra routes. */
function wantedRoutes(router: RouterSpec): Route[] {
  const defaults = (router.gateway?.subnets ?? []).flatMap(({ gatewayIp }) => (gatewayIp === null ? [] : [{ destination: 'default', gateway: canonicalIp(gatewayIp) }]));
  const extra = router.routes.map(({ destination, nexthop }) => ({ destination: canonicalDestination(destination), gateway: canonicalIp(nexthop) }));
  return [...defaults, ...extra];
}
