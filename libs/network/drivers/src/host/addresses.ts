import { type PortSpec, type SubnetSpec } from '@overcast/network/contracts';
import { type HostCommands } from './host-commands';
import { parseCidr } from './ip-addresses';
import { ip } from './links';

interface IpAddressInfo {
  addr_info: { local: string; prefixlen: number; scope: string }[];
}

/**
 * Makes `device` in `namespace` hold exactly the global addresses `wanted` (`10.0.0.2/24`,
 * `2001:db8::2/64`), adding the missing and deleting the others; link-local ones stay.
 */
export async function syncAddresses(commands: HostCommands, namespace: string, device: string, wanted: readonly string[]): Promise<void> {
  const canonical = new Set(wanted.map((cidr) => {
    const { address, prefixLength } = parseCidr(cidr);
    return `${address}/${prefixLength}`;
  }));
  const [info] = JSON.parse(await ip(commands, namespace, ['-j', 'address', 'show', 'dev', device])) as IpAddressInfo[];
  const present = new Set((info?.addr_info ?? []).filter(({ scope }) => scope === 'global').map(({ local, prefixlen }) => `${local}/${prefixlen}`));
  for (const cidr of present) {
    if (!canonical.has(cidr)) {
      await ip(commands, namespace, ['address', 'delete', cidr, 'dev', device]);
    }
  }
  for (const cidr of canonical) {
    if (!present.has(cidr)) {
      await ip(commands, namespace, ['address', 'add', cidr, 'dev', device]);
    }
  }
}

/** A port's fixed IPs on the given subnets, each with its subnet's prefix length (`10.0.0.2/24`). */
export function fixedIpCidrs(port: PortSpec, subnets: readonly SubnetSpec[]): string[] {
  return port.fixedIps.flatMap(({ subnetId, ipAddress }) => {
    const subnet = subnets.find(({ id }) => id === subnetId);
    return subnet === undefined ? [] : [`${ipAddress}/${parseCidr(subnet.cidr).prefixLength}`];
  });
}
