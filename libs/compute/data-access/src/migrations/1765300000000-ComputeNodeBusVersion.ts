import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Expand only: the protocol version of each host's agent, which the previous release neither writes nor reads. */
export class ComputeNodeBusVersion1765300000000 implements MigrationInterface {
  name = 'ComputeNodeBusVersion1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE compute_nodes ADD COLUMN bus_version varchar(16)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE compute_nodes DROP COLUMN bus_version');
  }
}
