import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';

/** What the `web-download` import method may fetch (the `webDownload` settings). */
export interface WebDownloadRules {
  allowedHosts: readonly string[];
  allowedSchemes: readonly string[];
  allowedPorts: readonly number[];
  allowedNetworks: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, then DNS), every address it gives. */
export const systemResolver: HostResolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** A URL web-download may not fetch; the message (why) is safe to show the caller. */
export class UriRefusedError extends Error {
  override readonly name = 'UriRefusedError';
}

/** A URL with its user name and password replaced, for messages and logs. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.username !== '' || url.password !== '') {
      url.username = '***';
      url.password = '';
    }
    return url.href;
  } catch {
    // Not a URL: show no more than its start, it may hold anything.
    return uri.length > 80 ? `${uri.slice(0, 80)}…` : uri;
  }
}

/** A URL's host the way it is compared: lower case, canonical IP address without brackets, no trailing dot. */
function hostOf(url: URL): string {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/**
 * A host name or IP address in the form URLs are compared in (WHATWG parsing: `127.1`, `0x7f.0.0.1`
 * and `2130706433` are all `127.0.0.1`), or undefined if it cannot be a URL's host.
 */
export function normalizeHost(host: string): string | undefined {
  const text = host.trim();
  // A port is no part of a host: only an IPv6 address (bracketed or not) has colons.
  if (text === '' || /[\s/@?#\\]/.test(text) || (text.includes(':') && !isIPv6(text) && !/^\[[^\]]*\]$/.test(text))) {
    return undefined;
  }
  try {
    const url = new URL(`http://${isIPv6(text) ? `[${text}]` : text}/`);
    return url.port === '' ? hostOf(url) : undefined;
  } catch {
    return undefined;
  }
}

/** An IP network as `address/prefix` (or one address), checked; undefined if it is none. */
export function parseNetwork(text: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (family === undefined || rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
    return undefined;
  }
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  return prefix <= (family === 4 ? 32 : 128) ? { address, prefix, family } : undefined;
}

/**
 * Addresses that are not the public internet (IANA's special-purpose registries): this host,
 * loopback, private, shared (CGNAT), link-local (where clouds serve instance metadata),
 * documentation, benchmarking, multicast, reserved.
 */
const NOT_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
/** IPv6's: unspecified, loopback and IPv4-compatible (`::/96`), discard, IETF protocol assignments (Teredo…), documentation, local NAT64, unique local, link-local, site-local, multicast. */
const NOT_PUBLIC_V6 = ['::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '3fff::/20', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];

function blockListOf(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of networks) {
    const network = parseNetwork(text);
    if (!network) {
      throw new Error(`not an IP network: ${text}`);
    }
    list.addSubnet(network.address, network.prefix, network.family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

const NOT_PUBLIC = blockListOf([...NOT_PUBLIC_V4, ...NOT_PUBLIC_V6]);

/** The eight 16-bit groups of an IPv6 address (a zone index dropped, a dotted IPv4 tail read). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0] ?? '';
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const first = head === '' ? [] : head.split(':');
  const last = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - first.length - last.length;
  return [...first, ...Array<string>(Math.max(zeros, 0)).fill('0'), ...last].map((group) => parseInt(group, 16));
}

/**
 * The IPv4 address an IPv6 one stands for, where it does: IPv4-mapped (`::ffff:a.b.c.d`), NAT64
 * (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`). A connection to it reaches that IPv4 address.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const v4 = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return v4(g6, g7);
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return v4(g6, g7);
  }
  if (g0 === 0x2002) {
    return v4(g1, g2);
  }
  return undefined;
}

/**
 * The URL filter of the `web-download` import method (Glance's `validate_import_uri`, stricter):
 * the scheme, host and port must be allowed, and every address the host resolves to must be public
 * or in an allowed network, so an allowed name cannot be pointed at the cloud's own insides.
 */
export class WebDownloadFilter {
  private readonly anyHost: boolean;
  private readonly hosts: ReadonlySet<string>;
  private readonly networks: BlockList;

  constructor(
    private readonly rules: WebDownloadRules,
    private readonly resolver: HostResolver = systemResolver,
  ) {
    this.anyHost = rules.allowedHosts.includes('*');
    this.hosts = new Set(rules.allowedHosts.flatMap((host) => normalizeHost(host) ?? []));
    this.networks = blockListOf(rules.allowedNetworks);
  }

  /** Web-download is on only where some host is allowed. */
  get enabled(): boolean {
    return this.anyHost || this.hosts.size > 0;
  }

  /** The URL, if its scheme, host and port are allowed; UriRefusedError says why not. */
  checkUri(uri: string): URL {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new UriRefusedError('it is not a URL');
    }
    const scheme = url.protocol.slice(0, -1);
    if (!this.rules.allowedSchemes.includes(scheme)) {
      throw new UriRefusedError(`the scheme ${scheme} is not allowed`);
    }
    const host = hostOf(url);
    if (!this.anyHost && !this.hosts.has(host)) {
      throw new UriRefusedError(`the host ${host} is not allowed`);
    }
    const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
    if (this.rules.allowedPorts.length > 0 && !this.rules.allowedPorts.includes(port)) {
      throw new UriRefusedError(`the port ${port} is not allowed`);
    }
    return url;
  }

  /**
   * The addresses to connect to for `url` (from checkUri): every one the host resolves to, each
   * allowed, else UriRefusedError. Connect only to these: resolving again could give others.
   */
  async addressesOf(url: URL): Promise<ResolvedAddress[]> {
    const host = hostOf(url);
    const literal = isIP(host);
    let addresses: ResolvedAddress[];
    if (literal === 4 || literal === 6) {
      addresses = [{ address: host, family: literal }];
    } else {
      addresses = await this.resolver(host).catch(() => []);
      if (addresses.length === 0) {
        throw new UriRefusedError(`the host ${host} does not resolve`);
      }
    }
    if (!addresses.every((address) => this.addressAllowed(address))) {
      throw new UriRefusedError(`the host ${host} has an address that web-download may not reach`);
    }
    return addresses;
  }

  /** checkUri, then addressesOf. */
  async check(uri: string): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
    const url = this.checkUri(uri);
    return { url, addresses: await this.addressesOf(url) };
  }

  /** A public address, or one in an allowed network. */
  addressAllowed({ address, family }: ResolvedAddress): boolean {
    if (!isIP(address.split('%')[0] ?? '')) {
      return false;
    }
    const bare = address.split('%')[0] ?? '';
    const v4 = family === 4 ? bare : embeddedIpv4(bare);
    if (this.networks.check(bare, family === 4 ? 'ipv4' : 'ipv6') || (v4 !== undefined && this.networks.check(v4, 'ipv4'))) {
      return true;
    }
    if (v4 !== undefined && NOT_PUBLIC.check(v4, 'ipv4')) {
      return false;
    }
    return family === 4 || !NOT_PUBLIC.check(bare, 'ipv6');
  }
}
