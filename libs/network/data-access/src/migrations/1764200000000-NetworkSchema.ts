import { type MigrationInterface, type QueryRunner } from 'typeorm';

const STANDARD = `
        project_id varchar(255) NOT NULL,
        description varchar(255) NOT NULL DEFAULT '',
        revision_number integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL`;

export class NetworkSchema1764200000000 implements MigrationInterface {
  name = 'NetworkSchema1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE networks (
        id uuid PRIMARY KEY,${STANDARD},
        name varchar(255) NOT NULL,
        admin_state_up boolean NOT NULL,
        status varchar(16) NOT NULL,
        shared boolean NOT NULL,
        external boolean NOT NULL,
        network_type varchar(16) NOT NULL,
        physical_network varchar(64),
        segmentation_id integer,
        mtu integer NOT NULL,
        port_security_enabled boolean NOT NULL,
        availability_zone_hints text[] NOT NULL DEFAULT '{}'
      );
      CREATE INDEX networks_project ON networks (project_id);
      -- A segment is one network's: a VNI or a VLAN tag once per physnet, a flat physnet once.
      CREATE UNIQUE INDEX networks_segment ON networks (network_type, coalesce(physical_network, ''), segmentation_id) WHERE segmentation_id IS NOT NULL;
      CREATE UNIQUE INDEX networks_flat_physnet ON networks (physical_network) WHERE network_type = 'flat';

      CREATE TABLE subnets (
        id uuid PRIMARY KEY,${STANDARD},
        name varchar(255) NOT NULL,
        network_id uuid NOT NULL REFERENCES networks(id),
        ip_version smallint NOT NULL,
        cidr varchar(64) NOT NULL,
        gateway_ip varchar(64),
        enable_dhcp boolean NOT NULL,
        allocation_pools jsonb NOT NULL,
        dns_nameservers text[] NOT NULL DEFAULT '{}',
        host_routes jsonb NOT NULL DEFAULT '[]',
        ipv6_address_mode varchar(32),
        ipv6_ra_mode varchar(32)
      );
      CREATE INDEX subnets_network ON subnets (network_id);

      CREATE TABLE ports (
        id uuid PRIMARY KEY,${STANDARD},
        name varchar(255) NOT NULL,
        network_id uuid NOT NULL REFERENCES networks(id),
        mac_address varchar(17) NOT NULL UNIQUE,
        admin_state_up boolean NOT NULL,
        status varchar(16) NOT NULL,
        device_id varchar(255) NOT NULL DEFAULT '',
        device_owner varchar(255) NOT NULL DEFAULT '',
        port_security_enabled boolean NOT NULL,
        allowed_address_pairs jsonb NOT NULL DEFAULT '[]',
        binding_host_id varchar(255) NOT NULL DEFAULT '',
        binding_vnic_type varchar(64) NOT NULL DEFAULT 'normal',
        binding_profile jsonb NOT NULL DEFAULT '{}'
      );
      CREATE INDEX ports_network ON ports (network_id);
      CREATE INDEX ports_device ON ports (device_id);
      CREATE INDEX ports_host ON ports (binding_host_id);

      CREATE TABLE ip_allocations (
        subnet_id uuid NOT NULL REFERENCES subnets(id),
        ip_address varchar(64) NOT NULL,
        port_id uuid NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
        network_id uuid NOT NULL,
        PRIMARY KEY (subnet_id, ip_address)
      );
      CREATE INDEX ip_allocations_port ON ip_allocations (port_id);

      CREATE TABLE security_groups (
        id uuid PRIMARY KEY,${STANDARD},
        name varchar(255) NOT NULL,
        stateful boolean NOT NULL DEFAULT true
      );
      CREATE INDEX security_groups_project ON security_groups (project_id);
      CREATE TABLE default_security_groups (
        project_id varchar(255) PRIMARY KEY,
        security_group_id uuid NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE
      );
      CREATE TABLE security_group_rules (
        id uuid PRIMARY KEY,${STANDARD},
        security_group_id uuid NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
        direction varchar(8) NOT NULL,
        ethertype varchar(8) NOT NULL,
        protocol varchar(40),
        port_range_min integer,
        port_range_max integer,
        remote_ip_prefix varchar(64),
        remote_group_id uuid REFERENCES security_groups(id) ON DELETE CASCADE
      );
      CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);
      CREATE TABLE port_security_groups (
        port_id uuid NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
        security_group_id uuid NOT NULL REFERENCES security_groups(id),
        PRIMARY KEY (port_id, security_group_id)
      );
      CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);

      CREATE TABLE routers (
        id uuid PRIMARY KEY,${STANDARD},
        name varchar(255) NOT NULL,
        admin_state_up boolean NOT NULL,
        status varchar(16) NOT NULL,
        gw_port_id uuid REFERENCES ports(id),
        enable_snat boolean NOT NULL DEFAULT true,
        routes jsonb NOT NULL DEFAULT '[]',
        availability_zone_hints text[] NOT NULL DEFAULT '{}'
      );
      CREATE TABLE floatingips (
        id uuid PRIMARY KEY,${STANDARD},
        floating_network_id uuid NOT NULL REFERENCES networks(id),
        floating_ip_address varchar(64) NOT NULL,
        floating_port_id uuid NOT NULL REFERENCES ports(id),
        fixed_port_id uuid REFERENCES ports(id),
        fixed_ip_address varchar(64),
        router_id uuid REFERENCES routers(id),
        status varchar(16) NOT NULL
      );
      CREATE INDEX floatingips_fixed_port ON floatingips (fixed_port_id);

      CREATE TABLE agents (
        id uuid PRIMARY KEY,
        host varchar(255) NOT NULL,
        agent_type varchar(255) NOT NULL,
        "binary" varchar(255) NOT NULL,
        topic varchar(255) NOT NULL,
        admin_state_up boolean NOT NULL DEFAULT true,
        availability_zone varchar(255) NOT NULL,
        description varchar(255) NOT NULL DEFAULT '',
        configurations jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        started_at timestamptz NOT NULL,
        heartbeat_timestamp timestamptz NOT NULL,
        UNIQUE (agent_type, host)
      );
      CREATE TABLE quotas (
        project_id varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        "limit" integer NOT NULL,
        PRIMARY KEY (project_id, resource)
      );
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP TABLE quotas, agents, floatingips, routers, port_security_groups, security_group_rules, default_security_groups, security_groups, ip_allocations, ports, subnets, networks',
    );
  }
}
