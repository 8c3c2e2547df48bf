import { type HostResolver, normalizeHost, parseNetwork, redactUri, type ResolvedAddress, UriRefusedError, WebDownloadFilter, type WebDownloadRules } from './web-download-filter';

/** A resolver that knows a few names, as DNS would answer them. */
const fakeDns: Record<string, ResolvedAddress[]> = {
  'images.example.com': [{ address: '93.184.215.14', family: 4 }],
  'v6.example.com': [{ address: '2606:4700:4700::1111', family: 6 }],
  'sneaky.example.com': [{ address: '127.0.0.1', family: 4 }],
  'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
  'mixed.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '10.0.0.5', family: 4 },
  ],
  'loop6.example.com': [{ address: '::1', family: 6 }],
  'mapped.example.com': [{ address: '::ffff:192.168.1.1', family: 6 }],
};
const resolver: HostResolver = async (hostname) => {
  const addresses = fakeDns[hostname];
  if (!addresses) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  }
  return addresses;
};

const rules = (overrides: Partial<WebDownloadRules> = {}): WebDownloadRules => ({ allowedHosts: [], allowedSchemes: ['http', 'https'], allowedPorts: [], allowedNetworks: [], ...overrides });
const filter = (overrides: Partial<WebDownloadRules> = {}) => new WebDownloadFilter(rules(overrides), resolver);

async function refusal(check: Promise<unknown>): Promise<string> {
  const error = await check.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UriRefusedError);
  return (error as Error).message;
}

describe('WebDownloadFilter', () => {
  it('is off, and refuses every URL, until some host is allowed', async () => {
    const closed = filter();
    expect(closed.enabled).toBe(false);
    expect(await refusal(closed.check('http://images.example.com/cirros.img'))).toBe('the host images.example.com is not allowed');
    expect(filter({ allowedHosts: ['images.example.com'] }).enabled).toBe(true);
  });

  it('lets an allowed host with a public address through, and says which addresses to connect to', async () => {
    const open = filter({ allowedHosts: ['images.example.com', 'v6.example.com', '2606:4700:4700::1111'] });
    await expect(open.check('https://images.example.com/cirros.img')).resolves.toMatchObject({ addresses: [{ address: '93.184.215.14', family: 4 }] });
    await expect(open.check('http://v6.example.com:8080/x.qcow2?sig=1')).resolves.toMatchObject({ addresses: [{ address: '2606:4700:4700::1111', family: 6 }] });
    await expect(open.check('http://[2606:4700:4700::1111]/x')).resolves.toMatchObject({ addresses: [{ address: '2606:4700:4700::1111', family: 6 }] });
  });

  it('compares host names without case or a trailing dot', async () => {
    const open = filter({ allowedHosts: ['Images.Example.COM.'] });
    await expect(open.check('http://IMAGES.example.com./a')).resolves.toBeDefined();
    expect(await refusal(open.check('http://images.example.com.evil.test/a'))).toBe('the host images.example.com.evil.test is not allowed');
  });

  it.each(['file:///etc/passwd', 'ftp://images.example.com/a', 'gopher://images.example.com/', 'data:text/plain,hello', 'javascript:alert(1)'])('refuses the scheme of %s', async (uri) => {
    expect(await refusal(filter({ allowedHosts: ['images.example.com'] }).check(uri))).toMatch(/^the scheme .* is not allowed$/);
  });

  it('refuses https when only http is allowed, and text that is no URL', async () => {
    expect(await refusal(filter({ allowedHosts: ['images.example.com'], allowedSchemes: ['http'] }).check('https://images.example.com/a'))).toBe('the scheme https is not allowed');
    expect(await refusal(filter({ allowedHosts: ['images.example.com'] }).check('images.example.com/a'))).toBe('it is not a URL');
  });

  it('checks the port, the scheme’s default included', async () => {
    const open = filter({ allowedHosts: ['images.example.com'], allowedPorts: [443] });
    await expect(open.check('https://images.example.com/a')).resolves.toBeDefined();
    await expect(open.check('https://images.example.com:443/a')).resolves.toBeDefined();
    expect(await refusal(open.check('http://images.example.com/a'))).toBe('the port 80 is not allowed');
    expect(await refusal(open.check('https://images.example.com:8443/a'))).toBe('the port 8443 is not allowed');
  });

  it('refuses an allowed name that resolves to a loopback, link-local or private address, or to several of which one is', async () => {
    const open = filter({ allowedHosts: ['sneaky.example.com', 'metadata.example.com', 'mixed.example.com', 'loop6.example.com', 'mapped.example.com'] });
    for (const host of ['sneaky.example.com', 'metadata.example.com', 'mixed.example.com', 'loop6.example.com', 'mapped.example.com']) {
      expect(await refusal(open.check(`http://${host}/a`))).toBe(`the host ${host} has an address that web-download may not reach`);
    }
  });

  it('refuses a name that does not resolve', async () => {
    expect(await refusal(filter({ allowedHosts: ['nowhere.example.com'] }).check('http://nowhere.example.com/a'))).toBe('the host nowhere.example.com does not resolve');
  });

  it('refuses localhost through the system resolver', async () => {
    const open = new WebDownloadFilter(rules({ allowedHosts: ['localhost'] }));
    expect(await refusal(open.check('http://localhost/a'))).toBe('the host localhost has an address that web-download may not reach');
  });

  it.each([
    ['127.0.0.1', 'http://127.0.0.1/a'],
    ['127.0.0.1', 'http://2130706433/a'],
    ['127.0.0.1', 'http://0x7f000001/a'],
    ['127.0.0.1', 'http://127.1/a'],
    ['127.0.0.1', 'http://0177.0.0.1/a'],
    ['0.0.0.0', 'http://0/a'],
    ['10.1.2.3', 'http://10.1.2.3/a'],
    ['172.16.0.1', 'http://172.16.0.1/a'],
    ['192.168.0.1', 'http://192.168.0.1/a'],
    ['100.64.0.1', 'http://100.64.0.1/a'],
    ['169.254.169.254', 'http://169.254.169.254/latest/meta-data/'],
    ['224.0.0.1', 'http://224.0.0.1/a'],
    ['255.255.255.255', 'http://255.255.255.255/a'],
    ['::1', 'http://[::1]/a'],
    ['::1', 'http://[0:0:0:0:0:0:0:1]:8080/a'],
    ['::', 'http://[::]/a'],
    ['::ffff:7f00:1', 'http://[::ffff:127.0.0.1]/a'],
    ['::ffff:a9fe:a9fe', 'http://[::ffff:169.254.169.254]/a'],
    ['64:ff9b::7f00:1', 'http://[64:ff9b::127.0.0.1]/a'],
    ['2002:7f00:1::', 'http://[2002:7f00:1::]/a'],
    ['fe80::1', 'http://[fe80::1]/a'],
    ['fd00::1', 'http://[fd00::1]/a'],
    ['ff02::1', 'http://[ff02::1]/a'],
  ])('refuses %s (as %s) even when it is an allowed host', async (host, uri) => {
    expect(await refusal(filter({ allowedHosts: [host] }).check(uri))).toBe(`the host ${host} has an address that web-download may not reach`);
  });

  it('reaches a private or loopback address only inside an allowed network', async () => {
    const open = filter({ allowedHosts: ['127.0.0.1', '127.0.0.2', 'sneaky.example.com', '10.1.2.3', '::ffff:7f00:1'], allowedNetworks: ['127.0.0.1/32', '10.1.0.0/16'] });
    await expect(open.check('http://127.0.0.1:8080/a')).resolves.toBeDefined();
    await expect(open.check('http://sneaky.example.com/a')).resolves.toBeDefined();
    await expect(open.check('http://10.1.2.3/a')).resolves.toBeDefined();
    await expect(open.check('http://[::ffff:127.0.0.1]/a')).resolves.toBeDefined();
    expect(await refusal(open.check('http://127.0.0.2/a'))).toBe('the host 127.0.0.2 has an address that web-download may not reach');
  });

  it('takes any host for *, and still checks its addresses', async () => {
    const open = filter({ allowedHosts: ['*'] });
    await expect(open.check('http://images.example.com/a')).resolves.toBeDefined();
    expect(await refusal(open.check('http://sneaky.example.com/a'))).toBe('the host sneaky.example.com has an address that web-download may not reach');
    expect(await refusal(open.check('http://169.254.169.254/a'))).toBe('the host 169.254.169.254 has an address that web-download may not reach');
  });
});

describe('normalizeHost, parseNetwork, redactUri', () => {
  it('normalizes hosts as URLs carry them, and refuses what cannot be one', () => {
    expect(normalizeHost('Images.Example.com.')).toBe('images.example.com');
    expect(normalizeHost('2130706433')).toBe('127.0.0.1');
    expect(normalizeHost('::FFFF:127.0.0.1')).toBe('::ffff:7f00:1');
    expect(normalizeHost('[::1]')).toBe('::1');
    for (const bad of ['', 'a b', 'host/path', 'user@host', 'host:80', '1.2.3.4.5']) {
      expect(normalizeHost(bad)).toBeUndefined();
    }
  });

  it('reads networks and single addresses', () => {
    expect(parseNetwork('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseNetwork('127.0.0.1')).toEqual({ address: '127.0.0.1', prefix: 32, family: 4 });
    expect(parseNetwork('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 6 });
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/x']) {
      expect(parseNetwork(bad)).toBeUndefined();
    }
  });

  it('hides credentials in URLs it shows', () => {
    expect(redactUri('http://user:secret@images.example.com/a')).toBe('http://***@images.example.com/a');
    expect(redactUri('http://images.example.com/a')).toBe('http://images.example.com/a');
  });
});
