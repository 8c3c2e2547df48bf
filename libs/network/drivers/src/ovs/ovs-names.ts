import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

/** The names of the driver's own OVS ports (Neutron's, where it has them). */

/** The patch port pair between br-int and br-tun. */
export const PATCH_TO_TUNNELS = 'patch-tun';
export const PATCH_TO_INTEGRATION = 'patch-int';

/** The patch port pair between br-int and a provider bridge, and the names of its two ends. */
export function providerPatches(providerBridge: string): { onIntegration: string; onProvider: string } {
  return { onIntegration: `int-${providerBridge}`, onProvider: `phy-${providerBridge}` };
}

/** The VXLAN port to a peer: `vxlan-` and the peer's IPv4 address in hex, or a digest of an IPv6 one. */
export function tunnelPortName(remoteIp: string): string {
  const id = isIPv4(remoteIp)
    ? remoteIp
        .split('.')
        .map((octet) => Number(octet).toString(16).padStart(2, '0'))
        .join('')
    : createHash('sha256').update(remoteIp).digest('hex').slice(0, 8);
  return `vxlan-${id}`;
}
