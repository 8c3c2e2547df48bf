import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { type Request } from 'express';
import { Strategy } from 'passport-jwt';
import { AuthContext } from '../auth-context';
import { RevocationList } from '../revocation/revocation-list';
import { type TokenClaims } from '../tokens/token-claims';
import { type VerificationKeys } from '../tokens/verification-keys';
import { VERIFICATION_KEYS } from './auth.tokens';

export const TOKEN_STRATEGY = 'overcast-token';

/** Tokens arrive in `X-Auth-Token`, OpenStack's header, not as a bearer token. */
function tokenFromHeader(request: Request): string | null {
  const token = request.get('x-auth-token');
  return token && token.length > 0 ? token : null;
}

function keyIdOf(rawToken: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(rawToken.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the signature (ES256, identity's key by `kid`), the expiry, and the revocation list. */
@Injectable()
export class TokenStrategy extends PassportStrategy(Strategy, TOKEN_STRATEGY) {
  constructor(
    @Inject(VERIFICATION_KEYS) keys: VerificationKeys,
    private readonly revocations: RevocationList,
  ) {
    super({
      jwtFromRequest: tokenFromHeader,
      algorithms: ['ES256'],
      passReqToCallback: true,
      secretOrKeyProvider: (_request: Request, rawToken: string, done: (error: unknown, key?: string | Buffer) => void) => {
        const kid = keyIdOf(rawToken);
        if (kid === undefined) {
          done(new Error('token has no key id'));
          return;
        }
        keys.getKey(kid).then(
          // jsonwebtoken verifies with a KeyObject; the type declaration only names strings and buffers.
          (key) => (key ? done(null, key as unknown as Buffer) : done(new Error('token signed by an unknown key'))),
          (error: unknown) => done(error),
        );
      },
    });
  }

  validate(request: Request, claims: TokenClaims): AuthContext | false {
    if (this.revocations.isRevoked(claims)) {
      return false;
    }
    return new AuthContext(claims, tokenFromHeader(request) ?? '');
  }
}
