import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Expand only: the protocol version of each backend's agent, which the previous release neither writes nor reads. */
export class BackendBusVersion1764600000000 implements MigrationInterface {
  name = 'BackendBusVersion1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE backends ADD COLUMN bus_version varchar(16)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE backends DROP COLUMN bus_version');
  }
}
