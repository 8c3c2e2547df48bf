import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class ComputeSchema1765000000000 implements MigrationInterface {
  name = 'ComputeSchema1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE flavors (
        id varchar(255) PRIMARY KEY,
        name varchar(255) NOT NULL,
        vcpus integer NOT NULL CHECK (vcpus > 0),
        memory_mb integer NOT NULL CHECK (memory_mb > 0),
        root_gb integer NOT NULL CHECK (root_gb >= 0),
        ephemeral_gb integer NOT NULL DEFAULT 0 CHECK (ephemeral_gb >= 0),
        swap_mb integer NOT NULL DEFAULT 0 CHECK (swap_mb >= 0),
        rxtx_factor double precision NOT NULL DEFAULT 1,
        is_public boolean NOT NULL DEFAULT true,
        disabled boolean NOT NULL DEFAULT false,
        description text,
        extra_specs jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX flavors_name ON flavors (name);

      CREATE TABLE flavor_projects (
        flavor_id varchar(255) NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
        project_id varchar(255) NOT NULL,
        PRIMARY KEY (flavor_id, project_id)
      );

      CREATE TABLE keypairs (
        user_id varchar(255) NOT NULL,
        name varchar(255) NOT NULL,
        type varchar(16) NOT NULL,
        public_key text NOT NULL,
        fingerprint varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, name)
      );

      CREATE TABLE compute_nodes (
        id uuid PRIMARY KEY,
        host varchar(255) NOT NULL,
        availability_zone varchar(255) NOT NULL,
        inventory jsonb,
        problem varchar(1024),
        disabled boolean NOT NULL DEFAULT false,
        disabled_reason varchar(255),
        forced_down boolean NOT NULL DEFAULT false,
        reported_at timestamptz NOT NULL,
        agent_started_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX compute_nodes_host ON compute_nodes (host);

      CREATE TABLE allocations (
        instance_id uuid PRIMARY KEY,
        node_id uuid NOT NULL REFERENCES compute_nodes(id),
        vcpus integer NOT NULL,
        memory_mb integer NOT NULL,
        disk_gb integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX allocations_node ON allocations (node_id);

      CREATE TABLE instances (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        display_name varchar(255) NOT NULL,
        hostname varchar(255) NOT NULL,
        description varchar(255),
        image_ref varchar(255),
        flavor jsonb NOT NULL,
        key_name varchar(255),
        key_data text,
        user_data text,
        metadata jsonb NOT NULL DEFAULT '{}',
        vm_state varchar(32) NOT NULL,
        task_state varchar(64),
        power_state smallint NOT NULL DEFAULT 0,
        host varchar(255),
        node_id uuid,
        availability_zone varchar(255),
        config_drive boolean NOT NULL DEFAULT false,
        ports jsonb NOT NULL DEFAULT '[]',
        security_groups jsonb NOT NULL DEFAULT '[]',
        access_ip_v4 varchar(64),
        access_ip_v6 varchar(64),
        locked boolean NOT NULL DEFAULT false,
        locked_reason varchar(255),
        locked_by varchar(16),
        fault jsonb,
        reservation_id varchar(255) NOT NULL,
        launch_index integer NOT NULL DEFAULT 0,
        launched_at timestamptz,
        terminated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE INDEX instances_project ON instances (project_id, created_at);
      CREATE INDEX instances_host ON instances (host);
      CREATE INDEX instances_updated ON instances (updated_at);

      CREATE TABLE block_device_mappings (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES instances(id),
        volume_id uuid NOT NULL,
        attachment_id uuid,
        device_name varchar(32) NOT NULL,
        boot_index integer,
        delete_on_termination boolean NOT NULL DEFAULT false,
        tag varchar(255),
        connection_info jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX block_device_mappings_instance ON block_device_mappings (instance_id);

      CREATE TABLE instance_actions (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES instances(id),
        action varchar(64) NOT NULL,
        request_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        project_id varchar(255) NOT NULL,
        message text,
        start_time timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX instance_actions_instance ON instance_actions (instance_id, start_time);

      CREATE TABLE instance_action_events (
        id uuid PRIMARY KEY,
        action_id uuid NOT NULL REFERENCES instance_actions(id),
        event varchar(255) NOT NULL,
        start_time timestamptz NOT NULL,
        finish_time timestamptz,
        result varchar(16),
        traceback text,
        host varchar(255)
      );
      CREATE INDEX instance_action_events_action ON instance_action_events (action_id);

      CREATE TABLE server_groups (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        policy varchar(32) NOT NULL,
        rules jsonb NOT NULL DEFAULT '{}',
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE server_group_members (
        group_id uuid NOT NULL REFERENCES server_groups(id) ON DELETE CASCADE,
        instance_id uuid NOT NULL,
        PRIMARY KEY (group_id, instance_id)
      );

      CREATE TABLE quotas (
        project_id varchar(255) NOT NULL,
        resource varchar(64) NOT NULL,
        hard_limit integer NOT NULL,
        PRIMARY KEY (project_id, resource)
      );
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      DROP TABLE quotas, server_group_members, server_groups, instance_action_events, instance_actions, block_device_mappings,
        instances, allocations, compute_nodes, keypairs, flavor_projects, flavors;
    `);
  }
}
