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

/** The subnets dnsmasq serves: IPv4 ones with DHCP on (IPv6 is not served yet). */
export function servedSubnets(spec: DhcpSpec): SubnetSpec[] {
  return spec.subnets.filter((subnet) => subnet.enableDhcp && subnet.ipVersion === 4);
}

const subnetTag = (subnet: SubnetSpec) => `subnet-${subnet.id}`;

function inSubnet(address: string, subnet: SubnetSpec): boolean {
  const { prefixLength } = parseCidr(subnet.cidr);
  return parseCidr(address).version === 4 && ipv4NetworkAndMask(`${address}/${prefixLength}`).network === ipv4NetworkAndMask(subnet.cidr).network;
}

/** `--dhcp-hostsfile`: one fixed address per port (`mac,hostname,ip`), for the served subnets only. */
export function renderHostsFile(spec: DhcpSpec): string {
  const subnets = servedSubnets(spec);
  return spec.hosts
    .filter((host) => subnets.some((subnet) => inSubnet(host.ipAddress, subnet)))
    .map(({ macAddress, ipAddress, hostname }) => `${macAddress},${hostname || `host-${ipAddress.replace(/\./g, '-')}`},${ipAddress}\n`)
    .join('');
}

/** The options of one subnet, tagged so a client gets those of the subnet its address is in. */
function subnetOptions(subnet: SubnetSpec): string[] {
  const tag = `tag:${subnetTag(subnet)}`;
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

/** `--dhcp-optsfile`: router, DNS servers and classless routes per subnet, the network's MTU for all. */
export function renderOptsFile(spec: DhcpSpec): string {
  return [...servedSubnets(spec).flatMap(subnetOptions), `option:mtu,${spec.network.mtu}`].map((line) => `${line}\n`).join('');
}

/**
 * dnsmasq's command line: DHCP only (no DNS, no /etc/hosts, no config file), on the namespace's
 * leg alone, handing out the hosts file's addresses only (`static` ranges). Hosts and options live
 * in files, so a port change is a SIGHUP; a change here (a subnet added) needs a restart.
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
    ...servedSubnets(spec).map((subnet) => {
      const { network, netmask } = ipv4NetworkAndMask(subnet.cidr);
      return `--dhcp-range=set:${subnetTag(subnet)},${network},static,${netmask},${LEASE_SECONDS}s`;
    }),
    `--dhcp-hostsfile=${files.hostsFile}`,
    `--dhcp-optsfile=${files.optsFile}`,
    `--dhcp-leasefile=${files.leaseFile}`,
    `--pid-file=${files.pidFile}`,
  ];
}
