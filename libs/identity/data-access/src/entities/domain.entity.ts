import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('domains')
export class DomainEntity {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 255 }) name!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('boolean') enabled!: boolean;
  @Column('jsonb', { default: {} }) extra!: Record<string, unknown>;
}
