import { Controller, Get } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';

/** Nova's (deprecated) extension list: none are offered. Authenticated, like every Nova resource. */
@Controller('v2.1/extensions')
export class ExtensionsController {
  constructor(private readonly policy: PolicyService) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext) {
    this.policy.enforce('os_compute_api:extensions', auth);
    return { extensions: [] };
  }
}
