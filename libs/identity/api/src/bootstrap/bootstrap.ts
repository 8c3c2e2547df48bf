import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import {
  AssignmentEntity,
  DomainEntity,
  EndpointEntity,
  ImpliedRoleEntity,
  ProjectEntity,
  RegionEntity,
  RoleEntity,
  ServiceEntity,
  UserEntity,
} from '@overcast/identity/data-access';
import { newId } from '../common/ids';
import { hashSecret } from '../common/secret-hasher';

export interface CatalogService {
  type: string;
  name: string;
  description: string;
  /** The same URL serves every interface of an all-in-one or single-controller cloud. */
  url: string;
}

export interface BootstrapOptions {
  adminPassword: string;
  adminUserName?: string;
  adminProjectName?: string;
  region: string;
  /** One service user per service, with the `service` role on the service project. */
  serviceUsers: { name: string; password: string }[];
  catalog: CatalogService[];
}

const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };

async function ensureRole(manager: EntityManager, name: string): Promise<RoleEntity> {
  const existing = await manager.findOneBy(RoleEntity, { name, domainId: IsNull() });
  return existing ?? manager.save(manager.create(RoleEntity, { id: newId(), name, domainId: null, description: null, options: {} }));
}

async function ensureUser(manager: EntityManager, name: string, password: string): Promise<UserEntity> {
  const existing = await manager.findOneBy(UserEntity, { name, domainId: DEFAULT_DOMAIN.id });
  const user = existing ?? manager.create(UserEntity, { id: newId(), name, domainId: DEFAULT_DOMAIN.id, enabled: true, defaultProjectId: null, extra: {}, options: {} });
  user.passwordHash = await hashSecret(password);
  user.enabled = true;
  return manager.save(user);
}

async function ensureProject(manager: EntityManager, name: string, description: string): Promise<ProjectEntity> {
  const existing = await manager.findOneBy(ProjectEntity, { name, domainId: DEFAULT_DOMAIN.id });
  return existing ?? manager.save(manager.create(ProjectEntity, { id: newId(), name, domainId: DEFAULT_DOMAIN.id, parentId: null, description, enabled: true, tags: [], extra: {} }));
}

async function grant(manager: EntityManager, userId: string, targetType: 'project' | 'system', targetId: string, roleId: string): Promise<void> {
  await manager.upsert(AssignmentEntity, { actorType: 'user', actorId: userId, targetType, targetId, roleId, inherited: false }, ['actorType', 'actorId', 'targetType', 'targetId', 'roleId']);
}

/**
 * Like `keystone-manage bootstrap`, and as safe to run again: the Default domain, roles
 * admin ⊃ member ⊃ reader (and `service`), the admin project and user (admin on the project and
 * the system), the service project and users, the region, and the catalog. A re-run resets the
 * passwords given and adds what is missing; it never removes anything.
 */
export async function bootstrapIdentity(dataSource: DataSource, options: BootstrapOptions): Promise<void> {
  await dataSource.transaction(async (manager) => {
    if (!(await manager.existsBy(DomainEntity, { id: DEFAULT_DOMAIN.id }))) {
      await manager.save(manager.create(DomainEntity, { ...DEFAULT_DOMAIN, description: 'The default domain', enabled: true, extra: {} }));
    }
    const [admin, member, reader, service] = [await ensureRole(manager, 'admin'), await ensureRole(manager, 'member'), await ensureRole(manager, 'reader'), await ensureRole(manager, 'service')];
    await manager.upsert(ImpliedRoleEntity, [{ priorRoleId: admin.id, impliedRoleId: member.id }, { priorRoleId: member.id, impliedRoleId: reader.id }], ['priorRoleId', 'impliedRoleId']);

    const adminProject = await ensureProject(manager, options.adminProjectName ?? 'admin', 'Bootstrap project for the cloud administrator');
    const adminUser = await ensureUser(manager, options.adminUserName ?? 'admin', options.adminPassword);
    await grant(manager, adminUser.id, 'project', adminProject.id, admin.id);
    await grant(manager, adminUser.id, 'system', 'all', admin.id);
    if (!adminUser.defaultProjectId) {
      await manager.update(UserEntity, { id: adminUser.id }, { defaultProjectId: adminProject.id });
    }

    const serviceProject = await ensureProject(manager, 'service', 'Project of the services’ own users');
    for (const serviceUser of options.serviceUsers) {
      const user = await ensureUser(manager, serviceUser.name, serviceUser.password);
      await grant(manager, user.id, 'project', serviceProject.id, service.id);
    }

    if (!(await manager.existsBy(RegionEntity, { id: options.region }))) {
      await manager.save(manager.create(RegionEntity, { id: options.region, description: '', parentRegionId: null, extra: {} }));
    }
    for (const entry of options.catalog) {
      const existing = await manager.findOneBy(ServiceEntity, { type: entry.type });
      const catalogService = existing ?? (await manager.save(manager.create(ServiceEntity, { id: newId(), type: entry.type, name: entry.name, description: entry.description, enabled: true, extra: {} })));
      for (const endpointInterface of ['public', 'internal', 'admin'] as const) {
        const endpoint = await manager.findOneBy(EndpointEntity, { serviceId: catalogService.id, interface: endpointInterface, regionId: options.region });
        await manager.save(
          manager.create(EndpointEntity, { id: endpoint?.id ?? newId(), serviceId: catalogService.id, interface: endpointInterface, regionId: options.region, url: entry.url, enabled: true, extra: {} }),
        );
      }
    }
  });
}
