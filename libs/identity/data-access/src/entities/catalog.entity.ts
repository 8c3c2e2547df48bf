import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('regions')
export class RegionEntity {
  @PrimaryColumn('varchar', { length: 255 }) id!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('varchar', { length: 255, name: 'parent_region_id', nullable: true }) parentRegionId!: string | null;
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
}

@Entity('services')
export class ServiceEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 255 }) type!: string;
  @Column('varchar', { length: 255, nullable: true }) name!: string | null;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('boolean') enabled!: boolean;
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

@Entity('endpoints')
export class EndpointEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 64, name: 'service_id' }) serviceId!: string;
  @Column('varchar', { length: 8 }) interface!: EndpointInterface;
  @Column('text') url!: string;
  @Column('varchar', { length: 255, name: 'region_id', nullable: true }) regionId!: string | null;
  @Column('boolean') enabled!: boolean;
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
}
