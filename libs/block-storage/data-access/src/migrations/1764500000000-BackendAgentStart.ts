import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Expand only: a nullable column that the previous release neither reads nor needs. */
export class BackendAgentStart1764500000000 implements MigrationInterface {
  name = 'BackendAgentStart1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE backends ADD COLUMN agent_started_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE backends DROP COLUMN agent_started_at');
  }
}
