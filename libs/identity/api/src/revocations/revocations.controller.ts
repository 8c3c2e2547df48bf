import { Controller, Get, Inject, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { type IdentitySettings } from '../identity.config';
import { IDENTITY_SETTINGS } from '../identity.tokens';
import { RevocationService } from './revocation.service';

/** Keystone's revocation list (`GET /v3/OS-REVOKE/events`), read by services when they start. */
@Controller('v3/OS-REVOKE/events')
export class RevocationsController {
  constructor(
    private readonly revocations: RevocationService,
    private readonly policy: PolicyService,
    @Inject(IDENTITY_SETTINGS) private readonly settings: IdentitySettings,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query('since') since?: string) {
    this.policy.enforce('identity:list_revoke_events', auth);
    const sinceDate = since === undefined ? undefined : new Date(since);
    if (sinceDate && Number.isNaN(sinceDate.getTime())) {
      throw badRequest(`since must be an ISO 8601 time, not ${JSON.stringify(since)}.`);
    }
    return { events: await this.revocations.recent(this.settings.tokenExpirationSeconds, sinceDate), links: { next: null, self: null, previous: null } };
  }
}
