import { type TokenClaims } from '@overcast/shared/auth';
import { SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

/** Who a test token is for: a project and the roles there (`admin` implies `member` and `reader`, as identity expands them). */
export interface TestCaller {
  projectId: string;
  roles: ('admin' | 'member' | 'reader')[];
  /** The same user across tokens (keypairs are a user's); a new one each time when absent. */
  userId?: string;
  /** The cloud's admin project (identity marks its tokens): its admins are admins everywhere, e.g. see every image. */
  isAdminProject?: boolean;
}

const KEY_ID = 'test-key';
const IMPLIED: Record<TestCaller['roles'][number], string[]> = { admin: ['admin', 'member', 'reader'], member: ['member', 'reader'], reader: ['reader'] };

/**
 * The part of identity a service needs to verify tokens: its public keys, a token for the
 * service user, and an (empty) revocation list. Tokens are signed with the matching private key,
 * so every request goes through the service's real verification.
 */
export async function startTokenIssuer(): Promise<{ url: string; sign(caller: TestCaller): Promise<string>; close(): Promise<void> }> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sign = (caller: TestCaller) => {
    const roles = [...new Set(caller.roles.flatMap((role) => IMPLIED[role]))].map((name) => ({ id: name, name }));
    const userId = caller.userId ?? randomUUID().replace(/-/g, '');
    const claims: Omit<TokenClaims, 'sub' | 'iat' | 'exp'> = {
      audit_ids: [randomUUID()],
      methods: ['password'],
      user: { id: userId, name: `user-${userId}`, domain: { id: 'default', name: 'Default' } },
      project: { id: caller.projectId, name: `project-${caller.projectId}`, domain: { id: 'default', name: 'Default' } },
      roles,
      ...(caller.isAdminProject === true ? { is_admin_project: true } : {}),
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: KEY_ID })
      .setSubject(userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 5)
      .setExpirationTime('1h')
      .sign(privateKey);
  };
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/.well-known/jwks.json') {
      answer(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KEY_ID, alg: 'ES256', use: 'sig' }] });
    } else if (request.method === 'POST' && request.url?.startsWith('/v3/auth/tokens')) {
      void sign({ projectId: 'service', roles: ['admin'] }).then((token) => answer(201, { token: {} }, { 'X-Subject-Token': token }));
    } else if (request.method === 'GET' && request.url === '/v3/OS-REVOKE/events') {
      answer(200, { events: [] });
    } else {
      answer(404, { error: { code: 404, message: 'not served by the test issuer' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, sign, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
