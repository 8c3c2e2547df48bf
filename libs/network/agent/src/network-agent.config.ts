import { setting } from '@overcast/shared/core';
import { z } from 'zod';

/** `physnet1:eth1,physnet2:eth2` in the environment, a map in the config file. */
const mapping = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? Object.fromEntries(
          value
            .split(',')
            .map((pair) => pair.trim())
            .filter((pair) => pair !== '')
            .map((pair) => pair.split(':').map((part) => part.trim())),
        )
      : value,
  z.record(setting.string(), setting.string()),
);

/**
 * Section `network-agent`, env `OVERCAST_NETWORK_AGENT_*`: how this host is wired. Without a
 * driver there is no agent (the all-in-one then says so: ports stay DOWN).
 */
export const networkAgentSettings = z.object({
  driver: z.enum(['linuxbridge', 'ovs']).optional(),
  /** This host's VXLAN endpoint; without it the host wires no VXLAN network. */
  tunnelIp: setting.string().optional(),
  /** The interface holding tunnelIp (Linux bridge). */
  tunnelInterface: setting.string().optional(),
  /** A multicast group for VXLAN flooding instead of unicast copies to each peer (Linux bridge; Neutron's `vxlan_group`). */
  vxlanGroup: setting.string().optional(),
  /** physnet → interface, for flat (and VLAN) networks. */
  physicalInterfaces: mapping.default({}),
  /** Where dnsmasq's files live; default `<dataDir>/network-agent`. */
  stateDirectory: setting.string().optional(),
  /** Whether this host runs DHCP servers and routers (Neutron's DHCP and L3 agents). */
  dhcp: setting.boolean().default(true),
  l3: setting.boolean().default(true),
  /** How often the agent reports itself (its heartbeat) and re-applies its host's whole state. */
  reportIntervalSeconds: setting.integer().min(1).default(30),
  resyncIntervalSeconds: setting.integer().min(1).default(120),
  /** A network namespace that plays this host's root namespace: for tests that run several hosts on one machine. */
  hostNamespace: setting.string().optional(),
  /** ovs: ovsdb-server's socket (default the system one), and the bridges. */
  ovsdbSocket: setting.string().optional(),
  integrationBridge: setting.string().optional(),
  tunnelBridge: setting.string().optional(),
  bridgeMappings: mapping.optional(),
});
export type NetworkAgentSettings = z.infer<typeof networkAgentSettings>;
