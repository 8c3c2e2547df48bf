import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FlavorEntity, FlavorProjectEntity } from '@overcast/compute/data-access';
import { isUniqueViolation } from '@overcast/shared/db';
import { type Repository, type SelectQueryBuilder } from 'typeorm';
import { type OrderKey, pageQuery } from '../common/nova-list';

/** Whose view of the flavors a query takes: an admin sees every flavor, others the public ones and those shared with their project. */
export interface FlavorScope {
  projectId: string;
  isAdmin: boolean;
}

export interface FlavorFilters {
  /** true: public and shared with the scope's project; false: private; undefined: all. */
  isPublic: boolean | undefined;
  enabledOnly: boolean;
  minRam?: number;
  minDisk?: number;
}

/** The flavors table and its access list (`flavor_projects`). */
@Injectable()
export class FlavorsRepository {
  constructor(
    @InjectRepository(FlavorEntity, 'compute') private readonly flavors: Repository<FlavorEntity>,
    @InjectRepository(FlavorProjectEntity, 'compute') private readonly access: Repository<FlavorProjectEntity>,
  ) {}

  /** The flavor with this id, if `scope` may see it. */
  findVisible(scope: FlavorScope, id: string): Promise<FlavorEntity | null> {
    const query = this.flavors.createQueryBuilder('flavor').where('flavor.id = :id', { id });
    if (!scope.isAdmin) {
      this.publicOrShared(query, scope.projectId);
    }
    return query.getOne();
  }

  /** One page of the flavors matching `filters`, in `order`, after the flavor `markerId`. */
  page(scope: FlavorScope, filters: FlavorFilters, order: readonly OrderKey[], markerId: string | undefined, limit: number): Promise<FlavorEntity[]> {
    const query = this.flavors.createQueryBuilder('flavor');
    if (filters.isPublic === true) {
      this.publicOrShared(query, scope.projectId);
    } else if (filters.isPublic === false) {
      query.andWhere('flavor.isPublic = false');
    }
    if (filters.enabledOnly) {
      query.andWhere('flavor.disabled = false');
    }
    if (filters.minRam !== undefined) {
      query.andWhere('flavor.memoryMb >= :minRam', { minRam: filters.minRam });
    }
    if (filters.minDisk !== undefined) {
      query.andWhere('flavor.rootGb >= :minDisk', { minDisk: filters.minDisk });
    }
    return pageQuery(query, order, markerId === undefined ? undefined : { id: markerId }, limit).getMany();
  }

  /** Inserts the flavor; a taken id or name is reported, not thrown. */
  async insert(flavor: Omit<FlavorEntity, 'createdAt' | 'updatedAt' | 'disabled' | 'extraSpecs'>): Promise<'created' | 'id taken' | 'name taken'> {
    try {
      await this.flavors.insert({ ...flavor, disabled: false, extraSpecs: {} });
      return 'created';
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
      return (await this.flavors.existsBy({ id: flavor.id })) ? 'id taken' : 'name taken';
    }
  }

  /** Whether the flavor existed to be changed. */
  async updateDescription(id: string, description: string | null): Promise<boolean> {
    return ((await this.flavors.update({ id }, { description })).affected ?? 0) > 0;
  }

  /** Whether the flavor existed; its access list goes with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<boolean> {
    return ((await this.flavors.delete({ id })).affected ?? 0) > 0;
  }

  /** Adds or replaces `specs` in one statement, so concurrent writers of other keys keep theirs. */
  async mergeExtraSpecs(id: string, specs: Record<string, string>): Promise<boolean> {
    const result = await this.flavors
      .createQueryBuilder()
      .update()
      .set({ extraSpecs: () => 'extra_specs || CAST(:specs AS jsonb)', updatedAt: () => 'now()' })
      .where('id = :id', { id, specs: JSON.stringify(specs) })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Whether the flavor had the key to remove. */
  async removeExtraSpec(id: string, key: string): Promise<boolean> {
    const result = await this.flavors
      .createQueryBuilder()
      .update()
      .set({ extraSpecs: () => 'extra_specs - CAST(:key AS text)', updatedAt: () => 'now()' })
      .where('id = :id AND extra_specs ? :key', { id, key })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** The projects a flavor is shared with, in order. */
  async projectsOf(flavorId: string): Promise<string[]> {
    return (await this.access.find({ where: { flavorId }, order: { projectId: 'ASC' } })).map((entry) => entry.projectId);
  }

  /** false when the project already had access. */
  async addAccess(flavorId: string, projectId: string): Promise<boolean> {
    try {
      await this.access.insert({ flavorId, projectId });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** false when the project had no access to remove. */
  async removeAccess(flavorId: string, projectId: string): Promise<boolean> {
    return ((await this.access.delete({ flavorId, projectId })).affected ?? 0) > 0;
  }

  private publicOrShared(query: SelectQueryBuilder<FlavorEntity>, projectId: string): void {
    query.andWhere('(flavor.isPublic = true OR EXISTS (SELECT 1 FROM flavor_projects shared WHERE shared.flavor_id = flavor.id AND shared.project_id = :projectId))', { projectId });
  }
}
