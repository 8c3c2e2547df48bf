import { join } from 'node:path';
import { type RouterInterfaceSpec, type SubnetSpec } from '@overcast/network/contracts';
import { parseCidr } from '../host/ip-addresses';

/** Neutron's defaults (min_rtr_adv_interval, max_rtr_adv_interval): instances that boot ask at once (router solicitation). */
const MIN_ADVERTISEMENT_INTERVAL_S = 30;
const MAX_ADVERTISEMENT_INTERVAL_S = 100;
/** radvd takes at most three RDNSS addresses per option. */
const MAX_DNS_SERVERS = 3;
/** IPv6 forbids links below this MTU; a smaller one is not advertised. */
const IPV6_MIN_MTU = 1280;

export interface RadvdFiles {
  directory: string;
  configFile: string;
  pidFile: string;
  logFile: string;
}

/** One directory per router: `<stateDirectory>/ra/<router id>/`. */
export function radvdFiles(stateDirectory: string, routerId: string): RadvdFiles {
  const directory = join(stateDirectory, 'ra', routerId);
  return { directory, configFile: join(directory, 'radvd.conf'), pidFile: join(directory, 'pid'), logFile: join(directory, 'radvd.log') };
}

/**
 * radvd's command line: it forks, logs its errors to the router's directory (a host may have no
 * syslog), and drops root for the `radvd` user the Debian package makes.
 */
export function radvdArguments(files: RadvdFiles): string[] {
  return ['-C', files.configFile, '-p', files.pidFile, '-m', 'logfile', '-l', files.logFile, '-u', 'radvd'];
}

/** A router's internal leg: the device in its namespace and what it routes. */
export interface InternalLeg {
  device: string;
  spec: RouterInterfaceSpec;
}

/** The router advertises the IPv6 subnets whose RA mode is set, on their legs alone. */
const advertised = (subnet: SubnetSpec) => subnet.ipVersion === 6 && subnet.ipv6RaMode !== undefined;

/**
 * radvd.conf after Neutron's, empty when no leg advertises: per advertising leg the M flag when a
 * subnet is DHCPv6-stateful and the O flag when one is DHCPv6-stateless; each prefix on-link,
 * autonomous (SLAAC) unless stateful; the DNS servers of its SLAAC subnets (the others' come by
 * DHCPv6); the network's MTU.
 */
export function renderRadvdConfig(legs: readonly InternalLeg[]): string {
  return legs
    .filter(({ spec }) => spec.subnets.some(advertised))
    .map(({ device, spec }) => {
      const subnets = spec.subnets.filter(advertised);
      const modes = new Set(subnets.map(({ ipv6RaMode }) => ipv6RaMode));
      const dnsServers = subnets.filter(({ ipv6RaMode }) => ipv6RaMode === 'slaac').flatMap(({ dnsNameservers }) => dnsNameservers.filter((address) => parseCidr(address).version === 6));
      const lines = [
        `interface ${device}`,
        '{',
        '   AdvSendAdvert on;',
        `   MinRtrAdvInterval ${MIN_ADVERTISEMENT_INTERVAL_S};`,
        `   MaxRtrAdvInterval ${MAX_ADVERTISEMENT_INTERVAL_S};`,
        ...(spec.network.mtu >= IPV6_MIN_MTU ? [`   AdvLinkMTU ${spec.network.mtu};`] : []),
        ...(modes.has('dhcpv6-stateless') ? ['   AdvOtherConfigFlag on;'] : []),
        ...(modes.has('dhcpv6-stateful') ? ['   AdvManagedFlag on;'] : []),
        ...(dnsServers.length > 0 ? [`   RDNSS ${dnsServers.slice(0, MAX_DNS_SERVERS).join(' ')} {};`] : []),
        ...subnets.flatMap(({ cidr, ipv6RaMode }) => {
          const { address, prefixLength } = parseCidr(cidr);
          return [`   prefix ${address}/${prefixLength}`, '   {', '      AdvOnLink on;', `      AdvAutonomous ${ipv6RaMode === 'dhcpv6-stateful' ? 'off' : 'on'};`, '   };'];
        }),
        '};',
      ];
      return lines.map((line) => `${line}\n`).join('');
    })
    .join('');
}
