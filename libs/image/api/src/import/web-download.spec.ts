import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { MAX_REDIRECTS, openWebDownload, WebDownloadError } from './web-download';
import { type HostResolver, UriRefusedError, WebDownloadFilter, type WebDownloadRules } from './web-download-filter';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An HTTP server on `host` answering with `handler`; records the paths it was asked for. */
async function serve(host: string, handler: Handler): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `images.test` is a name only this resolver knows, at 127.0.0.1. */
const resolver: HostResolver = async (hostname) => {
  if (hostname === 'images.test') {
    return [{ address: '127.0.0.1', family: 4 }];
  }
  throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
};
const loopbackRules: WebDownloadRules = { allowedHosts: ['127.0.0.1', '127.0.0.2', 'images.test'], allowedSchemes: ['http', 'https'], allowedPorts: [], allowedNetworks: ['127.0.0.1/32'] };
const filter = new WebDownloadFilter(loopbackRules, resolver);
const options = { timeoutMs: 5000 };

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the download to fail');
    },
    (error: unknown) => error as Error,
  );
}

describe('openWebDownload', () => {
  const servers: { close: () => Promise<void> }[] = [];
  const start = async (host: string, handler: Handler) => {
    const server = await serve(host, handler);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('streams the body of an allowed URL, with its announced length', async () => {
    const data = Buffer.alloc(100_000, 7);
    const server = await start('127.0.0.1', (_request, response) => {
      response.setHeader('Content-Length', data.length);
      response.end(data);
    });
    const download = await openWebDownload(filter, `${server.url}/cirros.img`, options);
    expect(download.length).toBe(data.length);
    expect((await buffer(download.data)).equals(data)).toBe(true);
  });

  it('connects to the address the filter checked, not to whatever a second lookup would say', async () => {
    const server = await start('127.0.0.1', (_request, response) => response.end('pinned'));
    const port = new URL(server.url).port;
    // The system cannot resolve images.test: only the pinned, checked address gets there.
    const download = await openWebDownload(filter, `http://images.test:${port}/a`, options);
    expect((await buffer(download.data)).toString()).toBe('pinned');
  });

  it('follows redirects to allowed URLs', async () => {
    const server = await start('127.0.0.1', (request, response) => {
      if (request.url === '/old') {
        response.writeHead(301, { Location: '/new' }).end();
      } else {
        response.end('moved');
      }
    });
    const download = await openWebDownload(filter, `${server.url}/old`, options);
    expect((await buffer(download.data)).toString()).toBe('moved');
  });

  it('refuses a redirect to a host that is not allowed, as Glance does', async () => {
    const server = await start('127.0.0.1', (_request, response) => response.writeHead(302, { Location: 'http://localhost/secret' }).end());
    const error = await failure(openWebDownload(filter, `${server.url}/a`, options));
    expect(error).toBeInstanceOf(UriRefusedError);
    expect(error.message).toBe('Redirect to disallowed URL: http://localhost/secret (the host localhost is not allowed)');
  });

  it('refuses a redirect to the metadata service without connecting', async () => {
    const open = new WebDownloadFilter({ ...loopbackRules, allowedHosts: ['*'] }, resolver);
    const server = await start('127.0.0.1', (_request, response) => response.writeHead(307, { Location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const error = await failure(openWebDownload(open, `${server.url}/a`, options));
    expect(error).toBeInstanceOf(UriRefusedError);
    expect(error.message).toBe('Redirect to disallowed URL: http://169.254.169.254/latest/meta-data/ (the host 169.254.169.254 has an address that web-download may not reach)');
  });

  it('refuses a redirect to an allowed host whose address is outside the allowed networks, and never asks it', async () => {
    const inner = await start('127.0.0.2', (_request, response) => response.end('internal'));
    const outer = await start('127.0.0.1', (_request, response) => response.writeHead(302, { Location: `${inner.url}/admin` }).end());
    const error = await failure(openWebDownload(filter, `${outer.url}/a`, options));
    expect(error).toBeInstanceOf(UriRefusedError);
    expect(error.message).toMatch(/^Redirect to disallowed URL: http:\/\/127\.0\.0\.2:\d+\/admin \(the host 127\.0\.0\.2 has an address/);
    expect(inner.paths).toEqual([]);
  });

  it(`gives up after ${MAX_REDIRECTS} redirects`, async () => {
    const server = await start('127.0.0.1', (request, response) => response.writeHead(302, { Location: `${request.url ?? ''}x` }).end());
    const error = await failure(openWebDownload(filter, `${server.url}/a`, options));
    expect(error).toBeInstanceOf(WebDownloadError);
    expect(server.paths).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('fails on an error answer', async () => {
    const server = await start('127.0.0.1', (_request, response) => response.writeHead(404).end('no such image'));
    const error = await failure(openWebDownload(filter, `${server.url}/missing`, options));
    expect(error).toBeInstanceOf(WebDownloadError);
    expect(error.message).toBe(`${server.url}/missing answered HTTP 404`);
  });

  it('fails when the server goes silent', async () => {
    const server = await start('127.0.0.1', () => undefined);
    const error = await failure(openWebDownload(filter, `${server.url}/slow`, { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(WebDownloadError);
    expect(error.message).toBe(`${server.url}/slow sent nothing for 0.2 s`);
  });

  it('refuses the URL itself before connecting', async () => {
    const error = await failure(openWebDownload(filter, 'http://localhost:1/a', options));
    expect(error).toBeInstanceOf(UriRefusedError);
  });
});
