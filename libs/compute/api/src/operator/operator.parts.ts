import { type Provider, type Type } from '@nestjs/common';
import { LimitsController } from '../quotas/limits.controller';
import { QuotaSetsController } from '../quotas/quota-sets.controller';
import { QuotaSetsService } from '../quotas/quota-sets.service';
import { QuotasRepository } from '../quotas/quotas.repository';
import { QuotasService } from '../quotas/quotas.service';
import { AggregatesController } from './aggregates.controller';
import { AvailabilityZonesController } from './availability-zones.controller';
import { AvailabilityZonesService } from './availability-zones.service';
import { ComputeNodesRepository } from './compute-nodes.repository';
import { ComputeServicesController } from './compute-services.controller';
import { ComputeServicesService } from './compute-services.service';
import { HypervisorsController } from './hypervisors.controller';
import { HypervisorsService } from './hypervisors.service';
import { InstanceActionsRepository } from './instance-actions.repository';
import { ServerInstanceActionsController } from './server-instance-actions.controller';
import { ServerInstanceActionsService } from './server-instance-actions.service';
import { TenantUsageController } from './tenant-usage.controller';
import { TenantUsageService } from './tenant-usage.service';
import { UsageRepository } from './usage.repository';

/** The operator's and the project's views (hypervisors, services, zones, limits, quotas, usage, instance actions), for the module. */
export const OPERATOR_CONTROLLERS: Type[] = [
  HypervisorsController,
  ComputeServicesController,
  AvailabilityZonesController,
  AggregatesController,
  LimitsController,
  QuotaSetsController,
  TenantUsageController,
  ServerInstanceActionsController,
];
export const OPERATOR_PROVIDERS: Provider[] = [
  QuotasRepository,
  QuotasService,
  QuotaSetsService,
  ComputeNodesRepository,
  HypervisorsService,
  ComputeServicesService,
  AvailabilityZonesService,
  UsageRepository,
  TenantUsageService,
  InstanceActionsRepository,
  ServerInstanceActionsService,
];
