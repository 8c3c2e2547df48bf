import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Expand only: the protocol version of each agent, which the previous release neither writes nor reads. */
export class AgentBusVersion1764350000000 implements MigrationInterface {
  name = 'AgentBusVersion1764350000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE agents ADD COLUMN bus_version varchar(16)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE agents DROP COLUMN bus_version');
  }
}
