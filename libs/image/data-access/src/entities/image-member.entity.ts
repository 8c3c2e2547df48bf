import { Column, Entity, PrimaryColumn } from 'typeorm';

export type MemberStatus = 'pending' | 'accepted' | 'rejected';

/** A project an image is shared with, and whether that project has accepted it. */
@Entity('image_members')
export class ImageMemberEntity {
  @PrimaryColumn('uuid', { name: 'image_id' }) imageId!: string;
  @PrimaryColumn('varchar', { length: 64 }) member!: string;
  @Column('varchar', { length: 20 }) status!: MemberStatus;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
