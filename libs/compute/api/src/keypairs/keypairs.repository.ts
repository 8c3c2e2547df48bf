import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { KeypairEntity } from '@overcast/compute/data-access';
import { isUniqueViolation } from '@overcast/shared/db';
import { type Repository } from 'typeorm';
import { type NovaPage, pageQuery } from '../common/nova-list';

/** A keypair with Nova's integer id (a column the entity does not map). */
export type NumberedKeypair = KeypairEntity & { id: number };

/** The keypairs table: each user's keys, by name. */
@Injectable()
export class KeypairsRepository {
  constructor(@InjectRepository(KeypairEntity, 'compute') private readonly keypairs: Repository<KeypairEntity>) {}

  find(userId: string, name: string): Promise<KeypairEntity | null> {
    return this.keypairs.findOneBy({ userId, name });
  }

  async findNumbered(userId: string, name: string): Promise<NumberedKeypair | null> {
    const { entities, raw } = await this.keypairs.createQueryBuilder('keypair').addSelect('keypair.id', 'keypair_number').where({ userId, name }).getRawAndEntities<{ keypair_number: number }>();
    const [keypair] = entities;
    return keypair === undefined ? null : { ...keypair, id: Number(raw[0]?.keypair_number) };
  }

  /** The user's keypairs by name, all of them or one page after the marker's name. */
  list(userId: string, page?: NovaPage): Promise<KeypairEntity[]> {
    const query = this.keypairs.createQueryBuilder('keypair').where('keypair.userId = :userId', { userId });
    return pageQuery(query, [{ property: 'name', descending: false }], page?.marker === undefined ? undefined : { userId, name: page.marker }, page?.limit).getMany();
  }

  /**
   * Inserts the keypair unless the user already has `quota` of them (-1: no limit) or one of
   * that name. The count and the insert hold a per-user lock, so concurrent creates cannot both
   * take the last one.
   */
  async insertWithinQuota(keypair: Omit<KeypairEntity, 'createdAt'>, quota: number): Promise<'created' | 'over quota' | 'name taken'> {
    try {
      return await this.keypairs.manager.transaction(async (manager) => {
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keypairs:${keypair.userId}`]);
        if (quota >= 0 && (await manager.countBy(KeypairEntity, { userId: keypair.userId })) >= quota) {
          return 'over quota';
        }
        await manager.insert(KeypairEntity, keypair);
        return 'created';
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name taken';
      }
      throw error;
    }
  }

  async delete(userId: string, name: string): Promise<boolean> {
    return ((await this.keypairs.delete({ userId, name })).affected ?? 0) > 0;
  }
}
