import { type RouterSpec } from '@overcast/network/contracts';
import { parseCidr } from '../host/ip-addresses';

/** The router's first IPv4 address on its gateway network: the source SNAT gives internal traffic. */
export function gatewayIpv4(router: RouterSpec): string | undefined {
  return router.gateway?.port.fixedIps.map(({ ipAddress }) => ipAddress).find((address) => parseCidr(address).version === 4);
}

/**
 * The whole nat table of a router's namespace (we own that namespace, so `iptables-restore`
 * replaces it in one transaction): floating IPs are DNATed to their fixed IPs (PREROUTING, and
 * OUTPUT for the router's own traffic) and their fixed IPs SNATed back; with SNAT on, the other
 * internal traffic leaving by the gateway takes the gateway's address. Traffic between the
 * router's internal legs is left alone.
 */
export function renderRouterNat(router: RouterSpec, gatewayDevice: string | undefined): string {
  const rules: string[] = [];
  const gatewayIp = gatewayIpv4(router);
  if (router.gateway !== undefined && gatewayDevice !== undefined) {
    for (const { floatingIpAddress, fixedIpAddress } of router.floatingIps) {
      rules.push(`-A PREROUTING -d ${floatingIpAddress}/32 -j DNAT --to-destination ${fixedIpAddress}`);
      rules.push(`-A OUTPUT -d ${floatingIpAddress}/32 -j DNAT --to-destination ${fixedIpAddress}`);
    }
    rules.push(`-A POSTROUTING ! -o ${gatewayDevice} -m conntrack ! --ctstate DNAT -j ACCEPT`);
    // Without -o: an instance reaching another's floating IP from inside comes back from its own.
    for (const { floatingIpAddress, fixedIpAddress } of router.floatingIps) {
      rules.push(`-A POSTROUTING -s ${fixedIpAddress}/32 -j SNAT --to-source ${floatingIpAddress}`);
    }
    if (router.gateway.enableSnat && gatewayIp !== undefined) {
      const internal = router.interfaces.flatMap(({ subnets }) => subnets.filter((subnet) => subnet.ipVersion === 4));
      for (const subnet of internal) {
        const { address, prefixLength } = parseCidr(subnet.cidr);
        rules.push(`-A POSTROUTING -s ${address}/${prefixLength} -o ${gatewayDevice} -j SNAT --to-source ${gatewayIp}`);
      }
    }
  }
  const chains = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((chain) => `:${chain} ACCEPT [0:0]`);
  return ['*nat', ...chains, ...rules, 'COMMIT', ''].join('\n');
}
