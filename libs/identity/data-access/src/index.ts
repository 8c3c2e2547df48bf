import { ApplicationCredentialEntity } from './entities/application-credential.entity';
import { AssignmentEntity } from './entities/assignment.entity';
import { EndpointEntity, RegionEntity, ServiceEntity } from './entities/catalog.entity';
import { DomainEntity } from './entities/domain.entity';
import { GroupEntity, GroupMemberEntity } from './entities/group.entity';
import { ProjectEntity } from './entities/project.entity';
import { RevocationEventEntity } from './entities/revocation-event.entity';
import { ImpliedRoleEntity, RoleEntity } from './entities/role.entity';
import { UserEntity } from './entities/user.entity';
import { IdentitySchema1763900000000 } from './migrations/1763900000000-IdentitySchema';
import { ApplicationCredentialExpiryMicroseconds1764000000000 } from './migrations/1764000000000-ApplicationCredentialExpiryMicroseconds';

export * from './entities/application-credential.entity';
export * from './entities/assignment.entity';
export * from './entities/catalog.entity';
export * from './entities/domain.entity';
export * from './entities/group.entity';
export * from './entities/named-role';
export * from './entities/project.entity';
export * from './entities/revocation-event.entity';
export * from './entities/role.entity';
export * from './entities/user.entity';

export const IDENTITY_ENTITIES = [
  DomainEntity,
  ProjectEntity,
  UserEntity,
  GroupEntity,
  GroupMemberEntity,
  RoleEntity,
  ImpliedRoleEntity,
  AssignmentEntity,
  RegionEntity,
  ServiceEntity,
  EndpointEntity,
  ApplicationCredentialEntity,
  RevocationEventEntity,
];

/** In the order they apply; each is safe to run with the previous release's code still serving. */
export const IDENTITY_MIGRATIONS = [IdentitySchema1763900000000, ApplicationCredentialExpiryMicroseconds1764000000000];
