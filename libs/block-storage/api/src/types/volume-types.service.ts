import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QuotaEntity, VolumeEntity, VolumeTypeEntity, VolumeTypeProjectEntity } from '@overcast/block-storage/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { isUniqueViolation } from '@overcast/shared/db';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { type BlockStorageSettings } from '../block-storage.config';
import { BLOCK_STORAGE_SETTINGS } from '../block-storage.tokens';
import { type Caller } from '../common/caller';
import { listPage, type View } from '../common/cinder-list';
import { booleanText } from '../common/body';
import { isUuid } from '../common/uuid';
import { PER_TYPE_PARTS, typeQuotaResource } from '../quotas/quota-resources';
import { accessProject, typeCreateBody, typeUpdateBody } from './volume-type-input';
import { volumeTypeView } from './volume-type-view';

/** Creating, changing and deleting types and their access lists is the operator's (Cinder's `types_manage` family). */
const MANAGE = 'volume_extension:types_manage';

const typeNotFound = (id: string) => notFound(`Volume type ${id} could not be found.`);

/** Volume types (Cinder's `types`): what a volume is made with, and which backend takes it. */
@Injectable()
export class VolumeTypesService implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    @Inject(BLOCK_STORAGE_SETTINGS) private readonly settings: BlockStorageSettings,
  ) {}

  /** The default type exists from the start, as Cinder's `__DEFAULT__` does. */
  async onApplicationBootstrap(): Promise<void> {
    const name = this.settings.defaultVolumeType;
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(VolumeTypeEntity)
      .values({ id: randomUUID(), name, description: 'Default Volume Type', isPublic: true, extraSpecs: {} })
      .orIgnore()
      .execute();
  }

  /** Whether the caller's project may use `type`: public, or private with access granted (admins: all). */
  async usable(manager: EntityManager, caller: Caller, type: VolumeTypeEntity): Promise<boolean> {
    return type.isPublic || caller.isAdmin || (await manager.existsBy(VolumeTypeProjectEntity, { volumeTypeId: type.id, projectId: caller.projectId }));
  }

  /** The type named (by id or name) that the caller may use, or the default type; Cinder's 404 otherwise. */
  async resolve(manager: EntityManager, caller: Caller, nameOrId: string | undefined): Promise<VolumeTypeEntity> {
    const wanted = nameOrId ?? this.settings.defaultVolumeType;
    const type = await manager.findOneBy(VolumeTypeEntity, isUuid(wanted) ? [{ id: wanted }, { name: wanted }] : { name: wanted });
    if (type === null || !(await this.usable(manager, caller, type))) {
      throw isUuid(wanted) ? typeNotFound(wanted) : notFound(`Volume type with name ${wanted} could not be found.`);
    }
    return type;
  }

  byId(manager: EntityManager, id: string): Promise<VolumeTypeEntity | null> {
    return manager.findOneBy(VolumeTypeEntity, { id });
  }

  /** The type with this id if the caller may use it (`lock`: held for update); a private type is a 404 to projects without access, as in Cinder. */
  async visible(manager: EntityManager, caller: Caller, id: string, lock = false): Promise<VolumeTypeEntity> {
    const type = isUuid(id) ? await manager.findOne(VolumeTypeEntity, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) }) : null;
    if (type === null || !(await this.usable(manager, caller, type))) {
      throw typeNotFound(id);
    }
    return type;
  }

  /** Whether volumes of any project are made with the type. */
  inUse(manager: EntityManager, typeId: string): Promise<boolean> {
    return manager.existsBy(VolumeEntity, { volumeTypeId: typeId });
  }

  /**
   * `GET /types`: public types and the private ones the project may use. Admins choose with
   * `is_public` (true by default, false for the private ones, `None` for all), as in Cinder.
   */
  async list(caller: Caller, query: Record<string, unknown>, projectUrl: string): Promise<unknown> {
    caller.enforce('read');
    const isPublic = caller.isAdmin ? publicFilter(query['is_public']) : true;
    const manager = this.dataSource.manager;
    const granted = new Set((await manager.findBy(VolumeTypeProjectEntity, { projectId: caller.projectId })).map((access) => access.volumeTypeId));
    const types = (await manager.find(VolumeTypeEntity)).filter((type) => isPublic === undefined || (isPublic ? type.isPublic || granted.has(type.id) : !type.isPublic));
    // The timestamps are there to sort by; Cinder's view has none.
    const views = types.map((type) => ({ ...volumeTypeView(type, caller), created_at: type.createdAt.toISOString(), updated_at: type.updatedAt.toISOString() }));
    const page = listPage(views, query, { url: `${projectUrl}/types`, maxLimit: this.settings.maxPageSize, filters: [], sortable: ['id', 'name', 'description', 'is_public', 'created_at', 'updated_at'] });
    const items = page.items.map(({ created_at: _created, updated_at: _updated, ...view }) => view);
    return { volume_types: items, ...(page.links.length > 0 ? { volume_type_links: page.links } : {}) };
  }

  async show(caller: Caller, id: string): Promise<View> {
    caller.enforce('read');
    return volumeTypeView(await this.visible(this.dataSource.manager, caller, id), caller);
  }

  /** `GET /types/default`: the configured default type. */
  async showDefault(caller: Caller): Promise<View> {
    caller.enforce('read');
    const type = await this.dataSource.manager.findOneBy(VolumeTypeEntity, { name: this.settings.defaultVolumeType });
    if (type === null) {
      throw notFound('Default volume type can not be found.');
    }
    return volumeTypeView(type, caller);
  }

  async create(caller: Caller, body: unknown): Promise<View> {
    caller.enforce(MANAGE);
    const input = typeCreateBody(body);
    const type = this.dataSource.manager.create(VolumeTypeEntity, { id: randomUUID(), ...input });
    await this.uniquelyNamed(input.name, () => this.dataSource.manager.insert(VolumeTypeEntity, type));
    return volumeTypeView(await this.dataSource.manager.findOneByOrFail(VolumeTypeEntity, { id: type.id }), caller);
  }

  /** Renames carry the type's quotas along (Cinder's `update_quota_resource`); the default type keeps its name and stays public, or volumes made without a type would have none. */
  async update(caller: Caller, id: string, body: unknown): Promise<View> {
    caller.enforce(MANAGE);
    const input = typeUpdateBody(body);
    return this.dataSource.transaction(async (manager) => {
      const type = await this.visible(manager, caller, id, true);
      const name = input.name ?? type.name;
      if (type.name === this.settings.defaultVolumeType && (name !== type.name || input.isPublic === false)) {
        throw badRequest(`Invalid volume type: the default volume type ${type.name} must keep its name and stay public.`);
      }
      await this.uniquelyNamed(name, () => manager.update(VolumeTypeEntity, { id }, { name, description: input.description, isPublic: input.isPublic }));
      if (name !== type.name) {
        for (const part of PER_TYPE_PARTS) {
          await manager.update(QuotaEntity, { resource: typeQuotaResource(part, type.name) }, { resource: typeQuotaResource(part, name) });
        }
      }
      return volumeTypeView(await manager.findOneByOrFail(VolumeTypeEntity, { id }), caller);
    });
  }

  /** Refused for the default type and for a type volumes still have; its access list and quotas go with it. */
  async delete(caller: Caller, id: string): Promise<void> {
    caller.enforce(MANAGE);
    await this.dataSource.transaction(async (manager) => {
      const type = await this.visible(manager, caller, id, true);
      if (type.name === this.settings.defaultVolumeType) {
        throw badRequest(`The volume type ${id} is a default volume type and cannot be deleted.`);
      }
      if (await this.inUse(manager, id)) {
        throw badRequest('Target volume type is still in use.');
      }
      await manager.delete(QuotaEntity, { resource: In(PER_TYPE_PARTS.map((part) => typeQuotaResource(part, type.name))) });
      await manager.delete(VolumeTypeEntity, { id });
    });
  }

  /** `GET /types/{id}/os-volume-type-access`: the projects a private type is shared with. */
  async accessList(caller: Caller, id: string): Promise<unknown> {
    caller.enforce(MANAGE);
    const type = await this.visible(this.dataSource.manager, caller, id);
    if (type.isPublic) {
      throw notFound('Access list not available for public volume types.');
    }
    const access = await this.dataSource.manager.find(VolumeTypeProjectEntity, { where: { volumeTypeId: id }, order: { projectId: 'ASC' } });
    return { volume_type_access: access.map((entry) => ({ volume_type_id: entry.volumeTypeId, project_id: entry.projectId })) };
  }

  /** The `addProjectAccess` and `removeProjectAccess` actions; a public type has no access list to change. */
  async changeAccess(caller: Caller, id: string, action: 'addProjectAccess' | 'removeProjectAccess', body: unknown): Promise<void> {
    caller.enforce(MANAGE);
    const project = accessProject(body, action);
    await this.dataSource.transaction(async (manager) => {
      const type = await this.visible(manager, caller, id, true);
      if (type.isPublic) {
        throw badRequest('Invalid volume type: Type access modification is not applicable to public volume type.');
      }
      const access = { volumeTypeId: id, projectId: project };
      if (action === 'removeProjectAccess') {
        if ((await manager.delete(VolumeTypeProjectEntity, access)).affected === 0) {
          throw notFound(`Volume type access not found for ${id} / ${project} combination.`);
        }
      } else if (await manager.existsBy(VolumeTypeProjectEntity, access)) {
        throw conflict(`Volume type access for ${id} / ${project} combination already exists.`);
      } else {
        await manager.insert(VolumeTypeProjectEntity, access);
      }
    });
  }

  /** Runs `write`, which names a type `name`; a name another type has is Cinder's 409, decided by the unique index. */
  private async uniquelyNamed<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw isUniqueViolation(error) ? conflict(`Volume Type ${name} already exists.`) : error;
    }
  }
}

/** Cinder's `_parse_is_public`: absent is true, `None` is both (undefined), anything else a strict boolean. */
function publicFilter(value: unknown): boolean | undefined {
  if (value === undefined) {
    return true;
  }
  if (String(value).toLowerCase() === 'none') {
    return undefined;
  }
  const parsed = booleanText().safeParse(value);
  if (!parsed.success) {
    throw badRequest(`Invalid is_public filter [${String(value)}]`);
  }
  return parsed.data;
}
