import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Keystone shows an application credential's expiry to the microsecond, as the client sent it;
 * JavaScript dates hold milliseconds, so the column keeps Keystone's UTC text instead.
 */
export class ApplicationCredentialExpiryMicroseconds1764000000000 implements MigrationInterface {
  static readonly contract =
    'no release read expires_at as a timestamp: its type changed the day the table came, before the first release (and before install.sh existed)';
  name = 'ApplicationCredentialExpiryMicroseconds1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE application_credentials
        ALTER COLUMN expires_at TYPE text USING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
    `);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE application_credentials
        ALTER COLUMN expires_at TYPE timestamptz USING (expires_at || 'Z')::timestamptz
    `);
  }
}
