import { Body, Controller, Delete, Get, Head, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService, Public, type TokenClaims } from '@overcast/shared/auth';
import { notFound, parseInput } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { RevocationService } from '../revocations/revocation.service';
import { authRequestSchema } from './auth-request.schema';
import { TokenService } from './token.service';

/** `?nocatalog` (any value, even empty) leaves the catalog out. */
function wantsCatalog(query: Record<string, unknown>): boolean {
  return !('nocatalog' in query);
}

@Controller('v3/auth/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokenService,
    private readonly policy: PolicyService,
    private readonly revocations: RevocationService,
  ) {}

  @Public()
  @Post()
  async issue(@Body() body: unknown, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<unknown> {
    const { auth } = parseInput(authRequestSchema, body);
    const issued = await this.tokens.issue(auth, wantsCatalog(query));
    response.status(201).setHeader('X-Subject-Token', issued.token);
    return issued.body;
  }

  // Before GET, which Express would otherwise let answer HEAD, skipping the check_token policy.
  @Head()
  @HttpCode(200)
  async check(@CurrentAuth() auth: AuthContext, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.subject(auth, request, 'identity:check_token');
    response.setHeader('X-Subject-Token', request.get('x-subject-token') ?? '');
  }

  @Get()
  async validate(@CurrentAuth() auth: AuthContext, @Req() request: Request, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<unknown> {
    const claims = await this.subject(auth, request, 'identity:validate_token');
    response.setHeader('X-Subject-Token', request.get('x-subject-token') ?? '');
    return this.tokens.render(claims, wantsCatalog(query));
  }

  @Delete()
  @HttpCode(204)
  async revoke(@CurrentAuth() auth: AuthContext, @Req() request: Request): Promise<void> {
    const claims = await this.subject(auth, request, 'identity:revoke_token');
    await this.revocations.revoke({ audit_id: claims.audit_ids[0] });
  }

  /**
   * The token named by X-Subject-Token. As in Keystone, an invalid one is a 404 whoever asks (it is
   * validated before the policy check, which needs its owner); a missing one is a 404 after it.
   */
  private async subject(auth: AuthContext, request: Request, action: string): Promise<TokenClaims> {
    const rawToken = request.get('x-subject-token');
    const claims = rawToken ? await this.tokens.verify(rawToken) : undefined;
    if (rawToken && !claims) {
      throw notFound('Could not find token.');
    }
    this.policy.enforce(action, auth, { 'target.token.user_id': claims?.sub });
    if (!claims) {
      throw notFound('No token in the request.');
    }
    return claims;
  }
}
