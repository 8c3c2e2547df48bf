import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class IdentitySchema1763900000000 implements MigrationInterface {
  name = 'IdentitySchema1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE domains (
        id varchar(64) PRIMARY KEY,
        name varchar(255) NOT NULL UNIQUE,
        description text,
        enabled boolean NOT NULL,
        extra jsonb NOT NULL DEFAULT '{}'
      );
      CREATE TABLE projects (
        id varchar(64) PRIMARY KEY,
        name varchar(64) NOT NULL,
        domain_id varchar(64) NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        parent_id varchar(64) REFERENCES projects(id),
        description text,
        enabled boolean NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        extra jsonb NOT NULL DEFAULT '{}',
        UNIQUE (domain_id, name)
      );
      CREATE TABLE users (
        id varchar(64) PRIMARY KEY,
        name varchar(255) NOT NULL,
        domain_id varchar(64) NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        enabled boolean NOT NULL,
        default_project_id varchar(64),
        password_hash text,
        extra jsonb NOT NULL DEFAULT '{}',
        options jsonb NOT NULL DEFAULT '{}',
        UNIQUE (domain_id, name)
      );
      CREATE TABLE groups (
        id varchar(64) PRIMARY KEY,
        name varchar(64) NOT NULL,
        domain_id varchar(64) NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        description text,
        UNIQUE (domain_id, name)
      );
      CREATE TABLE group_members (
        group_id varchar(64) NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        user_id varchar(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE INDEX group_members_user ON group_members (user_id);
      CREATE TABLE roles (
        id varchar(64) PRIMARY KEY,
        name varchar(255) NOT NULL,
        domain_id varchar(64) REFERENCES domains(id) ON DELETE CASCADE,
        description text,
        options jsonb NOT NULL DEFAULT '{}',
        UNIQUE NULLS NOT DISTINCT (name, domain_id)
      );
      CREATE TABLE implied_roles (
        prior_role_id varchar(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        implied_role_id varchar(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        PRIMARY KEY (prior_role_id, implied_role_id)
      );
      CREATE TABLE assignments (
        actor_type varchar(16) NOT NULL CHECK (actor_type IN ('user', 'group')),
        actor_id varchar(64) NOT NULL,
        target_type varchar(16) NOT NULL CHECK (target_type IN ('project', 'domain', 'system')),
        target_id varchar(64) NOT NULL,
        role_id varchar(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        inherited boolean NOT NULL DEFAULT false,
        PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id)
      );
      CREATE INDEX assignments_target ON assignments (target_type, target_id);
      CREATE TABLE regions (
        id varchar(255) PRIMARY KEY,
        description text,
        parent_region_id varchar(255) REFERENCES regions(id),
        extra jsonb NOT NULL DEFAULT '{}'
      );
      CREATE TABLE services (
        id varchar(64) PRIMARY KEY,
        type varchar(255) NOT NULL,
        name varchar(255),
        description text,
        enabled boolean NOT NULL,
        extra jsonb NOT NULL DEFAULT '{}'
      );
      CREATE TABLE endpoints (
        id varchar(64) PRIMARY KEY,
        service_id varchar(64) NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        interface varchar(8) NOT NULL CHECK (interface IN ('public', 'internal', 'admin')),
        url text NOT NULL,
        region_id varchar(255) REFERENCES regions(id),
        enabled boolean NOT NULL,
        extra jsonb NOT NULL DEFAULT '{}'
      );
      CREATE TABLE application_credentials (
        id varchar(64) PRIMARY KEY,
        name varchar(255) NOT NULL,
        user_id varchar(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        project_id varchar(64) NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        description text,
        expires_at timestamptz,
        unrestricted boolean NOT NULL,
        roles jsonb NOT NULL,
        UNIQUE (user_id, name)
      );
      CREATE TABLE revocation_events (
        id serial PRIMARY KEY,
        user_id varchar(64),
        project_id varchar(64),
        domain_id varchar(64),
        audit_id varchar(64),
        audit_chain_id varchar(64),
        application_credential_id varchar(64),
        issued_before timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL
      );
      CREATE INDEX revocation_events_issued_before ON revocation_events (issued_before);
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      DROP TABLE revocation_events, application_credentials, endpoints, services, regions, assignments,
        implied_roles, roles, group_members, groups, users, projects, domains;
    `);
  }
}
