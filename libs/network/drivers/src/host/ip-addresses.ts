import { isIP } from 'node:net';

export type IpVersion = 4 | 6;

export interface Cidr {
  address: string;
  prefixLength: number;
  version: IpVersion;
}

/** `10.0.0.0/24`, `2001:db8::/64`, or a bare address (a host prefix). */
export function parseCidr(cidr: string): Cidr {
  const [address = '', prefix] = cidr.split('/');
  const version = ipVersionOf(address);
  const prefixLength = prefix === undefined ? hostPrefixLength(version) : Number(prefix);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > hostPrefixLength(version)) {
    throw new Error(`${cidr} is no valid CIDR`);
  }
  return { address: canonicalIp(address), prefixLength, version };
}

export function ipVersionOf(address: string): IpVersion {
  const version = isIP(address);
  if (version !== 4 && version !== 6) {
    throw new Error(`${address} is no IP address`);
  }
  return version;
}

export function hostPrefixLength(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

/** The form `ip` prints, so addresses compare as strings (IPv6 has many spellings). */
export function canonicalIp(address: string): string {
  return ipVersionOf(address) === 4 ? address : new URL(`http://[${address}]`).hostname.slice(1, -1);
}

/** How `ip route` prints a destination: host routes without their prefix, the rest canonical. */
export function canonicalDestination(destination: string): string {
  const cidr = parseCidr(destination);
  if (cidr.prefixLength === 0) {
    return 'default';
  }
  return cidr.prefixLength === hostPrefixLength(cidr.version) ? cidr.address : `${cidr.address}/${cidr.prefixLength}`;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** An IPv4 subnet's network address and dotted netmask (dnsmasq wants both). */
export function ipv4NetworkAndMask(cidr: string): { network: string; netmask: string } {
  const { address, prefixLength, version } = parseCidr(cidr);
  if (version !== 4) {
    throw new Error(`${cidr} is no IPv4 subnet`);
  }
  const mask = prefixLength === 0 ? 0 : (~0 << (32 - prefixLength)) >>> 0;
  return { network: numberToIpv4((ipv4ToNumber(address) & mask) >>> 0), netmask: numberToIpv4(mask) };
}

/** The IPv6 link-local address a MAC gives by EUI-64 (an instance's own source for neighbour discovery). */
export function eui64LinkLocal(macAddress: string): string {
  const bytes = macAddress.split(':').map((part) => parseInt(part, 16));
  if (bytes.length !== 6 || bytes.some((byte) => Number.isNaN(byte))) {
    throw new Error(`${macAddress} is no MAC address`);
  }
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = bytes;
  const eui = [b0 ^ 0x02, b1, b2, 0xff, 0xfe, b3, b4, b5];
  const groups = [0, 2, 4, 6].map((i) => (((eui[i] ?? 0) << 8) | (eui[i + 1] ?? 0)).toString(16));
  return canonicalIp(`fe80::${groups.join(':')}`);
}
