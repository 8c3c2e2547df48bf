import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { badRequest, notFound } from '@overcast/shared/core';
import { DataSource } from 'typeorm';
import { type Caller } from '../common/caller';
import { extraSpecItemBody, extraSpecsBody, refuseCacheableMultiattach } from './volume-type-input';
import { visibleExtraSpecs } from './volume-type-view';
import { VolumeTypesService } from './volume-types.service';

const MANAGE = 'volume_extension:types_manage';

const specNotFound = (typeId: string, key: string) => notFound(`Volume Type ${typeId} has no extra specs with key ${key}.`);

/**
 * A type's extra specs (Cinder's `types/{id}/extra_specs`): readers see the user-visible ones,
 * admins all and change them — but not while volumes have the type, whose backends were chosen
 * by them.
 */
@Injectable()
export class TypeExtraSpecsService {
  constructor(
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    private readonly types: VolumeTypesService,
  ) {}

  async list(caller: Caller, typeId: string): Promise<Record<string, string>> {
    caller.enforce('read');
    return visibleExtraSpecs((await this.types.visible(this.dataSource.manager, caller, typeId)).extraSpecs, caller);
  }

  async show(caller: Caller, typeId: string, key: string): Promise<Record<string, string>> {
    const specs = await this.list(caller, typeId);
    const value = specs[key];
    if (value === undefined) {
      throw specNotFound(typeId, key);
    }
    return { [key]: value };
  }

  /** `POST …/extra_specs` (all of `body`'s) and `PUT …/extra_specs/{key}` (one): added or replaced; answers what was set. */
  async set(caller: Caller, typeId: string, body: unknown, key?: string): Promise<Record<string, string>> {
    caller.enforce(MANAGE);
    const added = key === undefined ? extraSpecsBody(body) : extraSpecItemBody(body, key);
    await this.change(caller, typeId, (specs) => {
      refuseCacheableMultiattach(specs, added);
      return { ...specs, ...added };
    });
    return added;
  }

  async delete(caller: Caller, typeId: string, key: string): Promise<void> {
    caller.enforce(MANAGE);
    await this.change(caller, typeId, (specs) => {
      if (!(key in specs)) {
        throw specNotFound(typeId, key);
      }
      const rest = { ...specs };
      delete rest[key];
      return rest;
    });
  }

  private async change(caller: Caller, typeId: string, edit: (specs: Record<string, string>) => Record<string, string>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const type = await this.types.visible(manager, caller, typeId, true);
      if (await this.types.inUse(manager, type.id)) {
        throw badRequest('Volume Type is currently in use.');
      }
      await manager.update(VolumeTypeEntity, { id: type.id }, { extraSpecs: edit(type.extraSpecs) });
    });
  }
}
