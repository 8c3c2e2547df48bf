import { Secret } from '@overcast/shared/core';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ServiceToken } from './service-token';

/** A stand-in identity that answers token requests as `answer` says, counting them. */
async function identity(answer: (count: number) => { status: number; expiresInMs: number }) {
  let requests = 0;
  const server: Server = createServer((_request, response) => {
    requests += 1;
    const { status, expiresInMs } = answer(requests);
    response.writeHead(status, { 'Content-Type': 'application/json', ...(status === 201 ? { 'X-Subject-Token': `token-${requests}` } : {}) });
    response.end(JSON.stringify({ token: { expires_at: new Date(Date.now() + expiresInMs).toISOString() } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const credentials = (identityUrl: string) => ({ identityUrl, userName: 'compute', password: new Secret('pw'), projectName: 'service', domainName: 'Default' });

describe('ServiceToken', () => {
  it('issues once for concurrent callers and reuses the token until shortly before it expires', async () => {
    const keystone = await identity(() => ({ status: 201, expiresInMs: 3600_000 }));
    const token = new ServiceToken(credentials(keystone.url));
    expect(await Promise.all([token.get(), token.get(), token.get()])).toEqual(['token-1', 'token-1', 'token-1']);
    expect(await token.get()).toBe('token-1');
    expect(keystone.requests()).toBe(1);
    await keystone.close();
  });

  it('renews a token about to expire', async () => {
    const keystone = await identity(() => ({ status: 201, expiresInMs: 60_000 }));
    const token = new ServiceToken(credentials(keystone.url));
    expect(await token.get()).toBe('token-1');
    expect(await token.get()).toBe('token-2');
    await keystone.close();
  });

  it('tries again after identity refused or was unreachable', async () => {
    const unreachable = new ServiceToken(credentials('http://127.0.0.1:9'));
    await expect(unreachable.get()).rejects.toThrow();
    const keystone = await identity((count) => ({ status: count === 1 ? 503 : 201, expiresInMs: 3600_000 }));
    const token = new ServiceToken(credentials(keystone.url));
    await expect(token.get()).rejects.toThrow('identity refused the service user compute (503)');
    expect(await token.get()).toBe('token-2');
    await keystone.close();
  });
});
