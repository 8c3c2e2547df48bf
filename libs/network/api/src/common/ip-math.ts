import ipaddr from 'ipaddr.js';

/** An address as a number, with its family: IPv6 needs 128 bits, so everything is a bigint. */
export interface Address {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefix: number;
  /** The number of addresses in it. */
  size: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

/** Parses one address in its canonical form only (no octal, short or hex IPv4 forms); undefined if not one. */
export function parseAddress(text: string): Address | undefined {
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(text);
  if (!v4 && !(text.includes(':') && ipaddr.IPv6.isValid(text))) {
    return undefined;
  }
  const parsed = ipaddr.parse(text);
  const bytes = parsed.toByteArray();
  return { version: parsed.kind() === 'ipv4' ? 4 : 6, value: bytes.reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n) };
}

export function formatAddress(address: Address): string {
  const bytes: number[] = [];
  let rest = address.value;
  for (let index = 0; index < BITS[address.version] / 8; index++) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Parses `a.b.c.d/n` or `x::/n`; undefined if it is not a CIDR at all. */
export function parseCidr(text: string): (Cidr & { hostBits: boolean }) | undefined {
  const [addressText, prefixText, extra] = text.split('/');
  if (extra !== undefined || prefixText === undefined || !/^\d{1,3}$/.test(prefixText) || addressText === undefined) {
    return undefined;
  }
  const address = parseAddress(addressText);
  const prefix = Number(prefixText);
  if (!address || prefix > BITS[address.version]) {
    return undefined;
  }
  const hostBitCount = BigInt(BITS[address.version] - prefix);
  const size = 1n << hostBitCount;
  const network = (address.value >> hostBitCount) << hostBitCount;
  return { version: address.version, network, prefix, size, hostBits: network !== address.value };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress({ version: cidr.version, value: cidr.network })}/${cidr.prefix}`;
}

export function cidrContains(cidr: Cidr, address: Address): boolean {
  return cidr.version === address.version && address.value >= cidr.network && address.value < cidr.network + cidr.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network < b.network + b.size && b.network < a.network + a.size;
}

/** The address `offset` places into the CIDR. */
export function addressAt(cidr: Cidr, offset: bigint): Address {
  return { version: cidr.version, value: cidr.network + offset };
}

/** An address this service wrote itself (a stored one), which is valid by construction. */
export function addressOf(text: string): Address {
  const address = parseAddress(text);
  if (!address) {
    throw new Error(`stored address ${text} is not an IP address`);
  }
  return address;
}

/** A CIDR this service wrote itself (a stored one), which is valid by construction. */
export function cidrOf(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) {
    throw new Error(`stored CIDR ${text} is not a CIDR`);
  }
  return cidr;
}
