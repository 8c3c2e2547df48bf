import { Column, Entity, PrimaryColumn } from 'typeorm';

/** PostgreSQL bigint arrives as text; image sizes stay far below 2^53. */
const bigintAsNumber = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

export type ImageStatus = 'queued' | 'saving' | 'uploading' | 'importing' | 'active' | 'deactivated' | 'killed' | 'deleted' | 'pending_delete';
export type ImageVisibility = 'public' | 'private' | 'shared' | 'community';

/** Where an image's data is: a store's URL for it, and the store's id (Glance's `locations`). */
export interface ImageLocation {
  url: string;
  store: string;
}

@Entity('images')
export class ImageEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255, nullable: true }) name!: string | null;
  @Column('varchar', { length: 30 }) status!: ImageStatus;
  @Column('varchar', { length: 20 }) visibility!: ImageVisibility;
  @Column('boolean') protected!: boolean;
  @Column('boolean', { name: 'os_hidden' }) osHidden!: boolean;
  /** The project that owns the image. */
  @Column('varchar', { length: 64, nullable: true }) owner!: string | null;
  @Column('varchar', { length: 20, name: 'disk_format', nullable: true }) diskFormat!: string | null;
  @Column('varchar', { length: 20, name: 'container_format', nullable: true }) containerFormat!: string | null;
  @Column('bigint', { nullable: true, transformer: bigintAsNumber }) size!: number | null;
  @Column('bigint', { name: 'virtual_size', nullable: true, transformer: bigintAsNumber }) virtualSize!: number | null;
  /** MD5 of the data, hex (Glance's legacy `checksum`). */
  @Column('varchar', { length: 32, nullable: true }) checksum!: string | null;
  @Column('varchar', { length: 64, name: 'os_hash_algo', nullable: true }) osHashAlgo!: string | null;
  @Column('varchar', { length: 128, name: 'os_hash_value', nullable: true }) osHashValue!: string | null;
  @Column('integer', { name: 'min_disk' }) minDisk!: number;
  @Column('integer', { name: 'min_ram' }) minRam!: number;
  /** Custom properties (`os_distro`, `hw_*`…): strings by Glance's schema. */
  @Column('jsonb') properties!: Record<string, string>;
  @Column('text', { array: true }) tags!: string[];
  @Column('jsonb') locations!: ImageLocation[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
