import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class ImageSchema1764100000000 implements MigrationInterface {
  name = 'ImageSchema1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE images (
        id uuid PRIMARY KEY,
        name varchar(255),
        status varchar(30) NOT NULL,
        visibility varchar(20) NOT NULL,
        protected boolean NOT NULL DEFAULT false,
        os_hidden boolean NOT NULL DEFAULT false,
        owner varchar(64),
        disk_format varchar(20),
        container_format varchar(20),
        size bigint,
        virtual_size bigint,
        checksum varchar(32),
        os_hash_algo varchar(64),
        os_hash_value varchar(128),
        min_disk integer NOT NULL DEFAULT 0,
        min_ram integer NOT NULL DEFAULT 0,
        properties jsonb NOT NULL DEFAULT '{}',
        tags text[] NOT NULL DEFAULT '{}',
        locations jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX images_owner ON images (owner);
      CREATE INDEX images_visibility ON images (visibility);
      CREATE TABLE image_members (
        image_id uuid NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        member varchar(64) NOT NULL,
        status varchar(20) NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (image_id, member)
      );
      CREATE INDEX image_members_member ON image_members (member);
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE image_members, images');
  }
}
