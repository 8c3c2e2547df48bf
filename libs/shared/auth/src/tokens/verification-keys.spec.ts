import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { JWKS_PATH, RemoteVerificationKeys } from './verification-keys';

describe('RemoteVerificationKeys', () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  const jwk = { ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid: 'key-1' };

  beforeAll(async () => {
    server = createServer((request, response) => {
      fetches += request.url === JWKS_PATH ? 1 : 0;
      // Slow enough that the callers below all arrive while the fetch is under way.
      setTimeout(() => response.end(JSON.stringify({ keys: [jwk] })), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives every concurrent caller the key that one fetch brings', async () => {
    const keys = new RemoteVerificationKeys(url);
    const found = await Promise.all(Array.from({ length: 8 }, () => keys.getKey('key-1')));
    expect(found.every((key) => key !== undefined)).toBe(true);
    expect(fetches).toBe(1);
  });

  it('does not refetch for an unknown key id within the interval', async () => {
    fetches = 0;
    const keys = new RemoteVerificationKeys(url, 60_000);
    expect(await keys.getKey('key-1')).toBeDefined();
    expect(await keys.getKey('forged')).toBeUndefined();
    expect(fetches).toBe(1);
  });
});
