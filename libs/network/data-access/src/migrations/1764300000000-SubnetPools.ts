import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Subnet pools, and the pool a subnet was allocated from (a nullable column the previous release ignores). */
export class SubnetPools1764300000000 implements MigrationInterface {
  name = 'SubnetPools1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE subnetpools (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        description varchar(255) NOT NULL DEFAULT '',
        revision_number integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        name varchar(255) NOT NULL,
        ip_version smallint NOT NULL,
        prefixes text[] NOT NULL,
        default_prefixlen smallint NOT NULL,
        min_prefixlen smallint NOT NULL,
        max_prefixlen smallint NOT NULL,
        shared boolean NOT NULL,
        is_default boolean NOT NULL
      );
      CREATE INDEX subnetpools_project ON subnetpools (project_id);
      -- One default pool per IP family.
      CREATE UNIQUE INDEX subnetpools_default ON subnetpools (ip_version) WHERE is_default;

      ALTER TABLE subnets ADD COLUMN subnetpool_id uuid REFERENCES subnetpools(id);
      CREATE INDEX subnets_subnetpool ON subnets (subnetpool_id) WHERE subnetpool_id IS NOT NULL;
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE subnets DROP COLUMN subnetpool_id; DROP TABLE subnetpools;');
  }
}
