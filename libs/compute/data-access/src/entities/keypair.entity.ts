import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An SSH (or x509) public key of a user, named per user (os-keypairs). */
@Entity('keypairs')
export class KeypairEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'user_id' }) userId!: string;
  @PrimaryColumn('varchar', { length: 255 }) name!: string;
  @Column('varchar', { length: 16 }) type!: 'ssh' | 'x509';
  @Column('text', { name: 'public_key' }) publicKey!: string;
  @Column('varchar', { length: 255 }) fingerprint!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}
