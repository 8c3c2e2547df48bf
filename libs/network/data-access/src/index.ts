import { AgentEntity, QuotaEntity } from './entities/agent.entity';
import { NetworkEntity } from './entities/network.entity';
import { IpAllocationEntity, PortEntity, PortSecurityGroupEntity } from './entities/port.entity';
import { FloatingIpEntity, RouterEntity } from './entities/router.entity';
import { DefaultSecurityGroupEntity, SecurityGroupEntity, SecurityGroupRuleEntity } from './entities/security-group.entity';
import { SubnetPoolEntity } from './entities/subnet-pool.entity';
import { SubnetEntity } from './entities/subnet.entity';
import { NetworkSchema1764200000000 } from './migrations/1764200000000-NetworkSchema';
import { SubnetPools1764300000000 } from './migrations/1764300000000-SubnetPools';
import { AgentBusVersion1764350000000 } from './migrations/1764350000000-AgentBusVersion';

export * from './entities/standard-attributes';
export * from './entities/network.entity';
export * from './entities/subnet.entity';
export * from './entities/subnet-pool.entity';
export * from './entities/port.entity';
export * from './entities/security-group.entity';
export * from './entities/router.entity';
export * from './entities/agent.entity';

export const NETWORK_ENTITIES = [
  NetworkEntity,
  SubnetEntity,
  SubnetPoolEntity,
  PortEntity,
  IpAllocationEntity,
  PortSecurityGroupEntity,
  SecurityGroupEntity,
  SecurityGroupRuleEntity,
  DefaultSecurityGroupEntity,
  RouterEntity,
  FloatingIpEntity,
  AgentEntity,
  QuotaEntity,
];

/** In the order they apply; each is safe to run with the previous release's code still serving. */
export const NETWORK_MIGRATIONS = [NetworkSchema1764200000000, SubnetPools1764300000000, AgentBusVersion1764350000000];
