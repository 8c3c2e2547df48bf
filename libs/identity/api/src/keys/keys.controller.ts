import { Controller, Get } from '@nestjs/common';
import { JWKS_PATH, Public } from '@overcast/shared/auth';
import { KeyStore } from './key-store';

/** The public half of every active signing key, for the other services to verify tokens with. */
@Public()
@Controller()
export class KeysController {
  constructor(private readonly keys: KeyStore) {}

  @Get(JWKS_PATH.slice(1))
  jwks() {
    return this.keys.jwks();
  }
}
