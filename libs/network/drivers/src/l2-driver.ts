import { type HostState, type L2DriverName, type NetworkType } from '@overcast/network/contracts';

/** How the agent on one host is set up (section `network-agent` of its config). */
export interface HostWiringSettings {
  host: string;
  /** The local VXLAN endpoint address; without it the host wires no VXLAN network. */
  tunnelIp?: string;
  /** The interface that carries VXLAN traffic (the one holding `tunnelIp`); Linux bridge only. */
  tunnelInterface?: string;
  /**
   * A multicast group (e.g. 239.1.1.1) for VXLAN's broadcast and unknown traffic instead of unicast
   * copies to each peer (Neutron's `vxlan_group`); Linux bridge only, where the underlay routes multicast.
   */
  vxlanGroup?: string;
  /** physnet name → interface for flat (and VLAN) networks, e.g. `{ physnet1: 'eth1' }`. */
  physicalInterfaces: Record<string, string>;
  /** Where dnsmasq's and radvd's config, lease and pid files live; dnsmasq's unprivileged user must be able to traverse it. */
  stateDirectory: string;
  /**
   * The network namespace that plays this host's root namespace; unset in production. Tests run
   * several "hosts" on one machine this way: every device, rule and daemon of the host lives in or
   * under it, and the per-network/per-router namespaces get `<hostNamespace>-` in front of their names.
   */
  hostNamespace?: string;
}

/** What a driver can wire on this host; the agent reports it and the server places by it. */
export interface L2Capabilities {
  networkTypes: NetworkType[];
  /** Why a type is missing (e.g. "no 802.1q in this kernel"), said at start-up. */
  notes: string[];
}

/** What apply() achieved: the ports now wired, and those it could not wire, each with why. */
export interface ApplyResult {
  wiredPorts: string[];
  failedPorts: { portId: string; reason: string }[];
}

/**
 * One way of wiring a host (Neutron's ML2 mechanism driver with its L2 agent, plus the DHCP and
 * L3 agents' work on top of it). apply() is idempotent and total: after it, the host holds exactly
 * what the state describes — what is missing is made, what is no longer described is removed — so
 * the agent calls it for every change, at start-up and after a crash alike.
 */
export abstract class L2Driver {
  abstract readonly name: L2DriverName;
  private queue: Promise<unknown> = Promise.resolve();

  /** Checks the host's tools and kernel, prepares shared devices (OVS bridges…); says what it can wire. */
  start(): Promise<L2Capabilities> {
    return this.serialised(() => this.prepareHost());
  }

  apply(state: HostState): Promise<ApplyResult> {
    return this.serialised(() => this.applyState(state));
  }

  /** Removes everything this driver made on the host (used when a host leaves, and by tests). */
  removeAll(): Promise<void> {
    return this.serialised(() => this.removeEverything());
  }

  protected abstract prepareHost(): Promise<L2Capabilities>;
  protected abstract applyState(state: HostState): Promise<ApplyResult>;
  protected abstract removeEverything(): Promise<void>;

  /** One change to the host at a time: each call waits for the previous one, whether it failed or not. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
