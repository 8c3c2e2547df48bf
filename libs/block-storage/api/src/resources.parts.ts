import { type Provider, type Type } from '@nestjs/common';
import { MessagesController } from './messages/messages.controller';
import { OperatorController } from './operator/operator.controller';
import { OperatorService } from './operator/operator.service';
import { QuotasController } from './quotas/quotas.controller';
import { TypeExtraSpecsController } from './types/type-extra-specs.controller';
import { TypeExtraSpecsService } from './types/type-extra-specs.service';
import { VolumeTypesController } from './types/volume-types.controller';

/** Types, quotas and limits, messages and the operator's views; none shares a path with another controller. */
export const RESOURCE_CONTROLLERS: Type[] = [VolumeTypesController, TypeExtraSpecsController, QuotasController, MessagesController, OperatorController];

/** Their providers beyond those the module has anyway (VolumeTypesService, QuotasService, MessagesService, BackendsService). */
export const RESOURCE_PROVIDERS: Provider[] = [TypeExtraSpecsService, OperatorService];
