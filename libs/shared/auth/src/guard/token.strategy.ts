import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { serviceUnavailable } from '@overcast/shared/core';
import { type Request } from 'express';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import { AuthContext } from '../auth-context';
import { RevocationList } from '../revocation/revocation-list';
import { type TokenClaims } from '../tokens/token-claims';
import { verifiedTokens } from '../tokens/verified-tokens';
import { type VerificationKeys } from '../tokens/verification-keys';
import { VERIFICATION_KEYS } from './auth.tokens';

/**
 * Passport keeps strategies in one process-wide registry; in the all-in-one every service has its
 * own keys and revocation list, so each registers its strategy under a name of its own.
 */
export const TOKEN_STRATEGY_NAME = Symbol('TOKEN_STRATEGY_NAME');

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

/**
 * Verifies the signature (ES256, identity's key by `kid`), the expiry, and the revocation list.
 * passport-jwt verifies a token the first time it is seen; its repeats are recalled from the
 * verified tokens, skipping the signature check that dominates the cost of a request.
 */
@Injectable()
export class TokenStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(VERIFICATION_KEYS) private readonly keys: VerificationKeys,
    private readonly revocations: RevocationList,
    @Inject(TOKEN_STRATEGY_NAME) name: string,
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
    passport.use(name, this);
  }

  override authenticate(request: Request, options?: object): void {
    const rawToken = tokenFromHeader(request);
    if (!rawToken) {
      super.authenticate(request, options);
      return;
    }
    verifiedTokens.recall(rawToken, this.keys).then(
      (claims) => {
        if (!claims) {
          super.authenticate(request, options);
          return;
        }
        try {
          const context = this.validate(request, claims);
          if (context) {
            this.success(context);
          } else {
            this.fail(401);
          }
        } catch (error) {
          this.error(error as Error);
        }
      },
      (error: unknown) => this.error(error as Error),
    );
  }

  validate(request: Request, claims: TokenClaims): AuthContext | false {
    if (!this.revocations.isLoaded) {
      throw serviceUnavailable('The revocation list has not been loaded from the identity service yet; try again shortly.');
    }
    if (this.revocations.isRevoked(claims)) {
      return false;
    }
    const rawToken = tokenFromHeader(request) ?? '';
    const kid = keyIdOf(rawToken);
    if (kid !== undefined) {
      verifiedTokens.remember(rawToken, kid, claims);
    }
    return new AuthContext(claims, rawToken);
  }
}
