import { type Provider, type Type } from '@nestjs/common';
import { KeypairsController } from './keypairs.controller';
import { KeypairsRepository } from './keypairs.repository';
import { KeypairsService } from './keypairs.service';

/** The keypair resource's controllers and providers, for the module. */
export const KEYPAIR_CONTROLLERS: Type[] = [KeypairsController];
export const KEYPAIR_PROVIDERS: Provider[] = [KeypairsRepository, KeypairsService];
