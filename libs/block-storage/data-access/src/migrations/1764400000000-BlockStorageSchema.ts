import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class BlockStorageSchema1764400000000 implements MigrationInterface {
  name = 'BlockStorageSchema1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE volume_types (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        description varchar(255),
        is_public boolean NOT NULL,
        extra_specs jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX volume_types_name ON volume_types (name);

      CREATE TABLE volume_type_projects (
        volume_type_id uuid NOT NULL REFERENCES volume_types(id) ON DELETE CASCADE,
        project_id varchar(255) NOT NULL,
        PRIMARY KEY (volume_type_id, project_id)
      );

      CREATE TABLE backends (
        id uuid PRIMARY KEY,
        host varchar(255) NOT NULL,
        name varchar(255) NOT NULL,
        volume_backend_name varchar(255) NOT NULL,
        availability_zone varchar(255) NOT NULL,
        driver varchar(64) NOT NULL,
        storage_protocol varchar(64) NOT NULL,
        capabilities jsonb NOT NULL,
        total_capacity_gb double precision NOT NULL,
        free_capacity_gb double precision NOT NULL,
        provisioned_capacity_gb double precision NOT NULL,
        thin_provisioning boolean NOT NULL,
        max_over_subscription_ratio double precision NOT NULL,
        reserved_percentage double precision NOT NULL,
        allocated_capacity_gb integer NOT NULL DEFAULT 0 CHECK (allocated_capacity_gb >= 0),
        problem varchar(1024),
        disabled boolean NOT NULL DEFAULT false,
        disabled_reason varchar(255),
        reported_at timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX backends_host_name ON backends (host, name);

      CREATE TABLE volumes (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        name varchar(255),
        description varchar(255),
        size integer NOT NULL CHECK (size > 0),
        status varchar(32) NOT NULL,
        attach_status varchar(16) NOT NULL,
        migration_status varchar(32),
        volume_type_id uuid NOT NULL REFERENCES volume_types(id),
        availability_zone varchar(255) NOT NULL,
        host varchar(255),
        backend_id uuid REFERENCES backends(id),
        snapshot_id uuid,
        source_volid uuid,
        image_metadata jsonb,
        bootable boolean NOT NULL DEFAULT false,
        multiattach boolean NOT NULL DEFAULT false,
        read_only boolean,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        launched_at timestamptz
      );
      CREATE INDEX volumes_project ON volumes (project_id);

      CREATE TABLE snapshots (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        volume_id uuid NOT NULL REFERENCES volumes(id),
        name varchar(255),
        description varchar(255),
        size integer NOT NULL,
        status varchar(32) NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX snapshots_project ON snapshots (project_id);
      CREATE INDEX snapshots_volume ON snapshots (volume_id);

      CREATE TABLE attachments (
        id uuid PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
        project_id varchar(255) NOT NULL,
        instance_uuid varchar(255),
        attached_host varchar(255),
        mountpoint varchar(255),
        attach_mode varchar(2) NOT NULL,
        attach_status varchar(16) NOT NULL,
        connector jsonb,
        connection_info jsonb,
        attach_time timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX attachments_volume ON attachments (volume_id);

      CREATE TABLE quotas (
        project_id varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        hard_limit integer NOT NULL,
        PRIMARY KEY (project_id, resource)
      );

      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        request_id varchar(255),
        resource_type varchar(32) NOT NULL,
        resource_uuid varchar(36) NOT NULL,
        event_id varchar(32) NOT NULL,
        message_level varchar(16) NOT NULL,
        user_message varchar(1024) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX messages_project ON messages (project_id);
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE messages, quotas, attachments, snapshots, volumes, backends, volume_type_projects, volume_types');
  }
}
