import { type HostState, type PortSpec, type SubnetSpec } from '@overcast/network/contracts';
import { eventually, type LabNamespace, NetnsLab, type SimulatedHost } from '@overcast/shared/testing';
import { runningCommandLine } from '../host/processes';
import { type L2Capabilities, type L2Driver } from '../l2-driver';
import { portOn } from './host-state-builders';

/** Set-up and tear-down run many commands in many namespaces. */
export const HOOK_TIMEOUT_MS = 60_000;
/** A data-plane test applies states and pings a lot (each ping that must fail waits a second). */
export const TEST_TIMEOUT_MS = 90_000;
/** How long traffic may take to flow after an apply (bridge learning, ARP, also for the tunnel endpoint). */
export const REACH_MS = 10_000;

/** A simulated host as a driver's tests see it: at least the lab's host, plus whatever the driver needs there (its own OVS…). */
export interface L2TestHost {
  host: SimulatedHost;
}

/** A test host with the driver under test on it. */
export type WiredHost<H extends L2TestHost> = H & { driver: L2Driver };

/** How a driver comes to a simulated host of the lab, and goes. */
export interface L2HostFixture<H extends L2TestHost> {
  /** Adds the host to the lab and readies it as the driver's operator would (e.g. starts its Open vSwitch). */
  setUpHost(lab: NetnsLab, name: string): Promise<H>;
  /** A driver for the host: the one the tests use, and another as after the agent restarted. */
  driverFor(host: H): L2Driver;
  /** Stops what setUpHost started outside the lab; the lab's close() takes its namespaces and dnsmasq. */
  tearDownHost?(host: H): Promise<void>;
}

/** An instance namespace and its port (a veth into it). */
export interface Instance {
  vm: LabNamespace;
  port: PortSpec;
}

/**
 * A NetnsLab with two hosts, h1 and h2, each with its driver started: what a driver's data-plane
 * tests run on. Every test applies whole states, so it replaces what the tests before it left on
 * the hosts it uses.
 */
export class L2Testbed<H extends L2TestHost> {
  private readonly hosts: WiredHost<H>[];

  private constructor(
    readonly lab: NetnsLab,
    private readonly fixture: L2HostFixture<H>,
    readonly h1: WiredHost<H>,
    readonly h2: WiredHost<H>,
    /** What h1's driver reported at start. */
    readonly capabilities: L2Capabilities,
  ) {
    this.hosts = [h1, h2];
  }

  static async start<H extends L2TestHost>(fixture: L2HostFixture<H>): Promise<L2Testbed<H>> {
    const lab = await NetnsLab.create();
    const hosts: WiredHost<H>[] = [];
    try {
      // One after the other: the lab numbers the hosts' underlay addresses in order.
      for (const name of ['h1', 'h2']) {
        hosts.push(wire(fixture, await fixture.setUpHost(lab, name)));
      }
      const [h1, h2] = hosts as [WiredHost<H>, WiredHost<H>];
      const [capabilities] = await Promise.all([h1.driver.start(), h2.driver.start()]);
      return new L2Testbed(lab, fixture, h1, h2, capabilities);
    } catch (error) {
      await closeHosts(fixture, hosts, lab);
      throw error;
    }
  }

  /** Another host with its driver started, for a test that must not disturb h1 and h2; it goes when the testbed closes. */
  async addHost(name: string): Promise<WiredHost<H>> {
    const host = wire(this.fixture, await this.fixture.setUpHost(this.lab, name));
    this.hosts.push(host);
    await host.driver.start();
    return host;
  }

  /** A second driver on the host, as the agent makes when it restarts. */
  restartedDriver(host: WiredHost<H>): L2Driver {
    return this.fixture.driverFor(host);
  }

  /** A host's tunnel peers: h1 and h2 but itself, each with the VNIs given. */
  peersOf(self: WiredHost<H>, vnis: number[]): HostState['tunnelPeers'] {
    return [this.h1, this.h2].filter((other) => other !== self).map(({ host }) => ({ host: host.name, ip: host.tunnelIp, segmentationIds: vnis }));
  }

  /** Applies each host's state in turn and expects every port to be wired. */
  async applyAll(states: [WiredHost<H>, HostState][]): Promise<void> {
    for (const [{ driver }, state] of states) {
      expect((await driver.apply(state)).failedPorts).toEqual([]);
    }
  }

  /** An instance namespace and its port with the fixed IPs given, one per subnet. */
  async instance(name: string, addresses: [SubnetSpec, string][], options: Partial<PortSpec> = {}): Promise<Instance> {
    const vm = await this.lab.addInstance(name);
    const [[subnet, ipAddress], ...more] = addresses as [[SubnetSpec, string], ...[SubnetSpec, string][]];
    const port = portOn(subnet, ipAddress, { namespace: vm.namespace, ...options });
    port.fixedIps.push(...more.map(([{ id }, address]) => ({ subnetId: id, ipAddress: address })));
    return { vm, port };
  }

  /** The PIDs of the lab's processes (dnsmasq) that belong to `host`. */
  async processesOf({ host }: L2TestHost): Promise<number[]> {
    const pids = await this.lab.processes();
    const commandLines = await Promise.all(pids.map(runningCommandLine));
    return pids.filter((_, index) => commandLines[index]?.some((arg) => arg.includes(`${host.settings.stateDirectory}/`)));
  }

  async close(): Promise<void> {
    await closeHosts(this.fixture, this.hosts, this.lab);
  }
}

/**
 * One testbed for a whole test file, shared by the compliance suite and the driver's own tests:
 * started by the first suite that asks for it, closed after the file.
 */
export function fileTestbed<H extends L2TestHost>(fixture: L2HostFixture<H>): () => Promise<L2Testbed<H>> {
  let started: Promise<L2Testbed<H>> | undefined;
  // A failed start is reported by the suites that awaited it; closing has nothing to add then.
  afterAll(() => started?.then((testbed) => testbed.close(), () => undefined), HOOK_TIMEOUT_MS);
  return () => (started ??= L2Testbed.start(fixture));
}

/** Pings until one gets through (or REACH_MS passes). */
export function reaches(from: LabNamespace, address: string, source?: string): Promise<boolean> {
  return eventually(() => from.ping(address, source), (ok) => ok, REACH_MS);
}

/** Puts each port's fixed IPs on its instance's eth0 (as if the instance had configured them itself). */
export async function addFixedAddresses(...instances: Instance[]): Promise<void> {
  for (const { vm, port } of instances) {
    for (const { ipAddress } of port.fixedIps) {
      await vm.addAddress(ipAddress.includes(':') ? `${ipAddress}/64` : `${ipAddress}/24`);
    }
  }
}

function wire<H extends L2TestHost>(fixture: L2HostFixture<H>, host: H): WiredHost<H> {
  return Object.assign(host, { driver: fixture.driverFor(host) });
}

/** Removes what the drivers made, then what the fixture started, then the lab. */
async function closeHosts<H extends L2TestHost>(fixture: L2HostFixture<H>, hosts: readonly WiredHost<H>[], lab: NetnsLab): Promise<void> {
  await Promise.allSettled(hosts.map(({ driver }) => driver.removeAll()));
  await Promise.allSettled(hosts.map((host) => fixture.tearDownHost?.(host)));
  await lab.close();
}
