import { AllocationEntity, ComputeNodeEntity } from './entities/compute-node.entity';
import { FlavorEntity, FlavorProjectEntity } from './entities/flavor.entity';
import { InstanceActionEntity, InstanceActionEventEntity } from './entities/instance-action.entity';
import { BlockDeviceMappingEntity, InstanceEntity } from './entities/instance.entity';
import { KeypairEntity } from './entities/keypair.entity';
import { MigrationEntity } from './entities/migration.entity';
import { QuotaEntity } from './entities/quota.entity';
import { ServerGroupEntity, ServerGroupMemberEntity } from './entities/server-group.entity';
import { ComputeSchema1765000000000 } from './migrations/1765000000000-ComputeSchema';
import { KeypairId1765100000000 } from './migrations/1765100000000-KeypairId';
import { Migrations1765200000000 } from './migrations/1765200000000-Migrations';
import { ComputeNodeBusVersion1765300000000 } from './migrations/1765300000000-ComputeNodeBusVersion';

export * from './entities/compute-node.entity';
export * from './entities/flavor.entity';
export * from './entities/instance-action.entity';
export * from './entities/instance.entity';
export * from './entities/keypair.entity';
export * from './entities/migration.entity';
export * from './entities/quota.entity';
export * from './entities/server-group.entity';

export const COMPUTE_ENTITIES = [
  FlavorEntity,
  FlavorProjectEntity,
  KeypairEntity,
  ComputeNodeEntity,
  AllocationEntity,
  InstanceEntity,
  BlockDeviceMappingEntity,
  InstanceActionEntity,
  InstanceActionEventEntity,
  MigrationEntity,
  ServerGroupEntity,
  ServerGroupMemberEntity,
  QuotaEntity,
];

/** In the order they apply; each is safe to run with the previous release's code still serving. */
export const COMPUTE_MIGRATIONS = [ComputeSchema1765000000000, KeypairId1765100000000, Migrations1765200000000, ComputeNodeBusVersion1765300000000];
