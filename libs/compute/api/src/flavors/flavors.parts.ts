import { type Provider, type Type } from '@nestjs/common';
import { FlavorExtraSpecsController } from './flavor-extra-specs.controller';
import { FlavorExtraSpecsService } from './flavor-extra-specs.service';
import { FlavorsController } from './flavors.controller';
import { FlavorsRepository } from './flavors.repository';
import { FlavorsService } from './flavors.service';

/** The flavor resources' controllers and providers, for the module. */
export const FLAVOR_CONTROLLERS: Type[] = [FlavorsController, FlavorExtraSpecsController];
export const FLAVOR_PROVIDERS: Provider[] = [FlavorsRepository, FlavorsService, FlavorExtraSpecsService];
