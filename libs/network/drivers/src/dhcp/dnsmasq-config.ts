import { BlockList } from 'node:net';
import { join } from 'node:path';
import { type DhcpSpec, type SubnetSpec } from '@overcast/network/contracts';
import { ipv4NetworkAndMask, parseCidr } from '../host/ip-addresses';

/** How long a lease lasts (Neutron's default): instances renew at half of it. */
const LEASE_SECONDS = 86400;

export interface DnsmasqFiles {
  directory: string;
  hostsFile: string;
  optsFile: string;
  leaseFile: string;
  pidFile: string;
}

/** One directory per network: `<stateDirectory>/dhcp/<network id>/`. */
export function dnsmasqFiles(stateDirectory: string, networkId: string): DnsmasqFiles {
  const directory = join(stateDirectory, 'dhcp', networkId);
  return {
    directory,
    hostsFile: join(directory, 'hosts'),
    optsFile: join(directory, 'opts'),
    leaseFile: join(directory, 'leases'),
    pidFile: join(directory, 'pid'),
  };
}

/**
 * Whether dnsmasq hands out the subnet's addresses: IPv4 always, IPv6 in DHCPv6-stateful mode or
 * (as Neutron keeps the old behaviour) when neither IPv6 mode is set.
 */
function handsOutAddresses(subnet: SubnetSpec): boolean {
  return subnet.ipVersion === 4 || subnet.ipv6AddressMode === 'dhcpv6-stateful' || (subnet.ipv6AddressMode === undefined && subnet.ipv6RaMode === undefined);
}

/**
 * The subnets dnsmasq serves, those with DHCP on: the ones it hands addresses on, and the
 * DHCPv6-stateless ones, where it only answers with options (instances make their addresses by
 * SLAAC). A SLAAC subnet needs nothing from it.
 */
export function servedSubnets(spec: DhcpSpec): SubnetSpec[] {
  return spec.subnets.filter((subnet) => subnet.enableDhcp && (handsOutAddresses(subnet) || subnet.ipv6AddressMode === 'dhcpv6-stateless'));
}

const subnetTag = (subnet: SubnetSpec) => `subnet-${subnet.id}`;

function inSubnet(address: string, subnet: SubnetSpec): boolean {
  const { address: network, prefixLength, version } = parseCidr(subnet.cidr);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(network, prefixLength, family);
  return parseCidr(address).version === version && block.check(address, family);
}

/** `--dhcp-hostsfile`: one fixed address per port (`mac,hostname,ip`, an IPv6 one in brackets), on the subnets it hands addresses on. */
export function renderHostsFile(spec: DhcpSpec): string {
  const subnets = servedSubnets(spec).filter(handsOutAddresses);
  return spec.hosts
    .filter((host) => subnets.some((subnet) => inSubnet(host.ipAddress, subnet)))
    .map(({ macAddress, ipAddress, hostname }) => {
      const name = hostname || `host-${ipAddress.replace(/[.:]/g, '-')}`;
      return `${macAddress},${name},${parseCidr(ipAddress).version === 6 ? `[${ipAddress}]` : ipAddress}\n`;
    })
    .join('');
}

/** The options of one subnet, tagged so a client gets those of the subnet its address is in. */
function subnetOptions(subnet: SubnetSpec): string[] {
  const tag = `tag:${subnetTag(subnet)}`;
  return subnet.ipVersion === 4 ? ipv4Options(tag, subnet) : ipv6Options(tag, subnet);
}

/** DHCPv6 tells the DNS servers only: routes and the MTU reach IPv6 instances by the router's advertisements. */
function ipv6Options(tag: string, subnet: SubnetSpec): string[] {
  const nameservers = subnet.dnsNameservers.filter((address) => parseCidr(address).version === 6);
  return nameservers.length > 0 ? [`${tag},option6:dns-server,${nameservers.map((address) => `[${address}]`).join(',')}`] : [];
}

function ipv4Options(tag: string, subnet: SubnetSpec): string[] {
  // A subnet without a gateway says so (an empty router option) rather than let clients guess.
  const options = [subnet.gatewayIp === null ? `${tag},option:router` : `${tag},option:router,${subnet.gatewayIp}`];
  const nameservers = subnet.dnsNameservers.filter((address) => parseCidr(address).version === 4);
  if (nameservers.length > 0) {
    options.push(`${tag},option:dns-server,${nameservers.join(',')}`);
  }
  const routes = subnet.hostRoutes.filter(({ destination }) => parseCidr(destination).version === 4).map(({ destination, nexthop }) => `${destination},${nexthop}`);
  if (routes.length > 0) {
    // A client that takes classless routes ignores the router option (RFC 3442): repeat the default route.
    const withDefault = subnet.gatewayIp === null ? routes : [...routes, `0.0.0.0/0,${subnet.gatewayIp}`];
    // 249 is the same option under the number older Windows clients ask for.
    options.push(`${tag},option:classless-static-route,${withDefault.join(',')}`, `${tag},249,${withDefault.join(',')}`);
  }
  return options;
}

/** `--dhcp-optsfile`: router, DNS servers and classless routes per IPv4 subnet, DNS servers per IPv6 one, the network's MTU for all (IPv4). */
export function renderOptsFile(spec: DhcpSpec): string {
  return [...servedSubnets(spec).flatMap(subnetOptions), `option:mtu,${spec.network.mtu}`].map((line) => `${line}\n`).join('');
}

/** A subnet's `--dhcp-range`: `static` hands out the hosts file's addresses only (and, for IPv6, answers information requests). */
function dhcpRange(subnet: SubnetSpec): string {
  if (subnet.ipVersion === 6) {
    const { address, prefixLength } = parseCidr(subnet.cidr);
    return `--dhcp-range=set:${subnetTag(subnet)},${address},static,${prefixLength},${LEASE_SECONDS}s`;
  }
  const { network, netmask } = ipv4NetworkAndMask(subnet.cidr);
  return `--dhcp-range=set:${subnetTag(subnet)},${network},static,${netmask},${LEASE_SECONDS}s`;
}

/**
 * dnsmasq's command line: DHCP and DHCPv6 only (no DNS, no /etc/hosts, no config file, no router
 * advertisements: the router sends those), on the namespace's leg alone, with a static range per
 * served subnet. Hosts and options live in files, so a port change is a SIGHUP; a change here
 * (a subnet added) needs a restart.
 */
export function dnsmasqArguments(spec: DhcpSpec, leg: string, files: DnsmasqFiles): string[] {
  return [
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--port=0',
    '--except-interface=lo',
    `--interface=${leg}`,
    '--bind-interfaces',
    ...servedSubnets(spec).map(dhcpRange),
    `--dhcp-hostsfile=${files.hostsFile}`,
    `--dhcp-optsfile=${files.optsFile}`,
    `--dhcp-leasefile=${files.leaseFile}`,
    `--pid-file=${files.pidFile}`,
  ];
}
